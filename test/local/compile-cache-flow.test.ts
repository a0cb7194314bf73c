import { spawn } from "node:child_process";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup } from "../../src/ops/cleanup.ts";
import { status } from "../../src/ops/status.ts";
import { LOCK_FILE, simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { tempDir } from "../fixtures/local-cache.ts";

const CV = "2.21.33363.0+82129205";
const SIM = path.resolve(import.meta.dirname, "../../tools/neuronx-cc-sim/main.ts");
let root: string;

beforeEach(async () => {
  root = await tempDir("neff-flow-");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const noCompiler = async () => [];
const counts = async () => (await status({ cacheDir: root, env: {}, compilerVersion: CV })).counts;

describe("compile cache life cycle", () => {
  it("cleans a cached failure so the next compile runs instead of failing again", async () => {
    await simulateCompile({ cacheDir: root, compilerVersion: CV, graphs: ["a", "b", "c"] });
    await simulateCompile({ cacheDir: root, compilerVersion: CV, graphs: ["d"], fail: true });
    expect(await counts()).toEqual({ success: 3, failed: 1, locked: 0, empty: 0 });
    const again = await simulateCompile({ cacheDir: root, compilerVersion: CV, graphs: ["d"] });
    expect(again.modules[0]?.outcome).toBe("cached-failure");

    const cleaned = await cleanup({ cacheDir: root, env: {}, findCompilerProcesses: noCompiler });
    expect(cleaned.failedRemoved).toBe(1);
    const retried = await simulateCompile({ cacheDir: root, compilerVersion: CV, graphs: ["d"] });
    expect(retried.modules[0]?.outcome).toBe("compiled");
    expect(await counts()).toEqual({ success: 4, failed: 0, locked: 0, empty: 0 });
  });

  it("recovers from a compiler killed mid-compile: the stale lock is cleaned and the graph compiles", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        SIM,
        "--graph-text",
        "slow",
        "--cache-dir",
        root,
        "--compiler-version",
        CV,
        "--compile-ms",
        "60000",
      ],
      { stdio: "ignore", env: { ...process.env, NEURON_CC_FLAGS: "" } },
    );
    const lockDir = path.join(root, `neuronxcc-${CV}`);
    // Wait until the simulated compiler holds its lock, then kill it.
    for (let i = 0; i < 400; i += 1) {
      const modules = await fsp.readdir(lockDir).catch(() => []);
      const held = await Promise.all(
        modules.map((m) =>
          fsp.access(path.join(lockDir, m, LOCK_FILE)).then(
            () => true,
            () => false,
          ),
        ),
      );
      if (held.includes(true)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("close", resolve));
    expect(await counts()).toEqual({ success: 0, failed: 0, locked: 1, empty: 0 });

    const cleaned = await cleanup({ cacheDir: root, env: {}, findCompilerProcesses: noCompiler });
    expect(cleaned.locksRemoved).toBe(1);
    expect(await counts()).toEqual({ success: 0, failed: 0, locked: 0, empty: 1 });
    const result = await simulateCompile({ cacheDir: root, compilerVersion: CV, graphs: ["slow"] });
    expect(result.modules[0]?.outcome).toBe("compiled");
    expect(await counts()).toEqual({ success: 1, failed: 0, locked: 0, empty: 0 });
  });
});
