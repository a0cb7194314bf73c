import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyFlags, moduleName, pythonJsonStringList } from "./module-name.ts";
import { LOCK_FILE, simulateCompile } from "./simulate-compile.ts";

const VERSION = "2.21.33363.0+82129205";
const MAIN = path.resolve(import.meta.dirname, "main.ts");
let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "neff-sim-"));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
      env: { ...process.env, NEURON_CC_FLAGS: "", NEURON_COMPILE_CACHE_URL: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("moduleName", () => {
  it("hashes the graph with sha256 and the flags list with md5 of its Python JSON", () => {
    // sha256("hello") = 2cf24dba5fb0a30e26e83b2ac5b9e29e…; md5('[]') = d751713988987e9331980363e24189ce
    expect(moduleName(Buffer.from("hello"), [])).toBe("MODULE_2cf24dba5fb0a30e26e8+d7517139");
    expect(pythonJsonStringList(["-O1", "--x=é"])).toBe('["-O1", "--x=\\u00e9"]');
  });

  it("keeps the graph hash and changes the flags hash when only the flags change", () => {
    const [graphO1, flagsO1] = moduleName(Buffer.from("g"), ["-O1"]).split("+");
    const [graphO2, flagsO2] = moduleName(Buffer.from("g"), ["-O2"]).split("+");
    expect(graphO2).toBe(graphO1);
    expect(flagsO2).not.toBe(flagsO1);
    expect(flagsO2).toBe(createHash("md5").update('["-O2"]').digest("hex").slice(0, 8));
  });

  it("mixes the joined flags into the graph hash in NxD style", () => {
    const plain = createHash("sha256").update("g").digest("hex").slice(0, 20);
    const mixed = createHash("sha256").update("g-O1--x").digest("hex").slice(0, 20);
    expect(moduleName(Buffer.from("g"), [], "nxd")).toBe(moduleName(Buffer.from("g"), []));
    expect(moduleName(Buffer.from("g"), ["-O1", "--x"], "nxd")).toMatch(new RegExp(`^MODULE_${mixed}\\+`));
    expect(moduleName(Buffer.from("g"), ["-O1", "--x"])).toMatch(new RegExp(`^MODULE_${plain}\\+`));
  });

  it("drops --logfile and its value from the key flags", () => {
    expect(keyFlags(["-O1", "--logfile", "/tmp/w1/log.txt", "--logfile=/tmp/w2", "--x"])).toEqual([
      "-O1",
      "--x",
    ]);
  });
});

describe("simulateCompile", () => {
  const base = () => ({ cacheDir: dir, compilerVersion: VERSION, env: {} });

  it("compiles a miss into a success entry and hits it the second time", async () => {
    const first = await simulateCompile({ ...base(), graphs: ["g"], flags: ["-O1"], neffBytes: 1000 });
    expect(first.exitCode).toBe(0);
    expect(first.modules.map((m) => m.outcome)).toEqual(["compiled"]);
    const entry = first.modules[0]?.path as string;
    expect(path.dirname(entry)).toBe(path.join(dir, `neuronxcc-${VERSION}`));
    expect((await fsp.readdir(entry)).sort()).toEqual([
      "compile_flags.json",
      "model.done",
      "model.hlo_module.pb",
      "model.neff",
    ]);
    expect((await fsp.stat(path.join(entry, "model.neff"))).size).toBe(1000);
    expect(await fsp.readFile(path.join(entry, "compile_flags.json"), "utf8")).toBe('["-O1"]');
    const second = await simulateCompile({ ...base(), graphs: ["g"], flags: ["-O1"] });
    expect(second.modules.map((m) => m.outcome)).toEqual(["hit"]);
  });

  it("writes deterministic NEFF bytes for a key", async () => {
    const a = await simulateCompile({ ...base(), graphs: ["g"] });
    const bytesA = await fsp.readFile(path.join(a.modules[0]?.path as string, "model.neff"));
    await fsp.rm(dir, { recursive: true });
    const b = await simulateCompile({ ...base(), graphs: ["g"] });
    expect(await fsp.readFile(path.join(b.modules[0]?.path as string, "model.neff"))).toEqual(bytesA);
  });

  it("caches a failure and fails again without compiling until retried", async () => {
    const failed = await simulateCompile({ ...base(), graphs: ["g"], fail: true });
    expect(failed.exitCode).toBe(1);
    const entry = failed.modules[0]?.path as string;
    expect((await fsp.readdir(entry)).sort()).toEqual([
      "compile_flags.json",
      "model.hlo_module.pb",
      "model.log",
    ]);
    const again = await simulateCompile({ ...base(), graphs: ["g"] });
    expect(again.modules.map((m) => m.outcome)).toEqual(["cached-failure"]);
    expect(again.exitCode).toBe(1);
    const retried = await simulateCompile({ ...base(), graphs: ["g"], retryFailed: true });
    expect(retried.modules.map((m) => m.outcome)).toEqual(["compiled"]);
    expect(await fsp.readdir(entry)).not.toContain("model.log");
  });

  it("honours --retry_failed_compilation and --cache_dir in NEURON_CC_FLAGS", async () => {
    const env = { NEURON_CC_FLAGS: `--cache_dir=${dir}` };
    await simulateCompile({ graphs: ["g"], env, compilerVersion: VERSION, fail: true });
    const retried = await simulateCompile({
      graphs: ["g"],
      env: { NEURON_CC_FLAGS: `--cache_dir=${dir} --retry_failed_compilation` },
      compilerVersion: VERSION,
    });
    expect(retried.cacheDir).toBe(dir);
    expect(retried.modules.map((m) => m.outcome)).toEqual(["compiled"]);
  });

  it("keeps cache flags out of the key", async () => {
    const plain = await simulateCompile({ ...base(), graphs: ["g"], flags: ["-O1"] });
    const withCacheFlags = await simulateCompile({
      graphs: ["g"],
      flags: ["-O1", `--cache_dir=${dir}`],
      env: {},
      compilerVersion: VERSION,
    });
    expect(withCacheFlags.modules[0]?.name).toBe(plain.modules[0]?.name);
    expect(withCacheFlags.modules[0]?.outcome).toBe("hit");
  });

  it("writes nothing when the compiler caches in S3", async () => {
    const result = await simulateCompile({
      graphs: ["g"],
      env: { NEURON_COMPILE_CACHE_URL: "s3://bucket/prefix" },
      compilerVersion: VERSION,
    });
    expect(result.cacheDir).toBeNull();
    expect(result.modules.map((m) => m.outcome)).toEqual(["uncached"]);
  });

  it("waits for another process's lock, then uses its result", async () => {
    const name = moduleName(Buffer.from("g"), []);
    const entry = path.join(dir, `neuronxcc-${VERSION}`, name);
    await fsp.mkdir(entry, { recursive: true });
    await fsp.writeFile(path.join(entry, LOCK_FILE), "");
    const waiting = simulateCompile({ ...base(), graphs: ["g"], lockPollMs: 10 });
    // The "other compiler" finishes: writes its entry and releases the lock.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fsp.writeFile(path.join(entry, "model.neff"), "x");
    await fsp.writeFile(path.join(entry, "model.done"), "");
    await fsp.rm(path.join(entry, LOCK_FILE));
    const result = await waiting;
    expect(result.modules).toEqual([{ name, path: entry, outcome: "hit", waitedForLock: true }]);
  });

  it("gives up waiting for a lock that is never released", async () => {
    const entry = path.join(dir, `neuronxcc-${VERSION}`, moduleName(Buffer.from("g"), []));
    await fsp.mkdir(entry, { recursive: true });
    await fsp.writeFile(path.join(entry, LOCK_FILE), "");
    await expect(
      simulateCompile({ ...base(), graphs: ["g"], lockPollMs: 5, lockTimeoutMs: 50 }),
    ).rejects.toThrow(/timed out waiting for the lock/);
  });
});

describe("neuronx-cc-sim CLI", () => {
  it("compiles several graphs of one model, then hits them all", async () => {
    const first = await runCli([
      "--graph-text",
      "model",
      "--graphs",
      "3",
      "--cache-dir",
      dir,
      "--flags",
      "-O1 --x",
    ]);
    expect(first.code).toBe(0);
    expect(first.stderr.match(/^compiled: /gm)).toHaveLength(3);
    const second = await runCli([
      "--graph-text",
      "model",
      "--graphs",
      "3",
      "--cache-dir",
      dir,
      "--flags",
      "-O1 --x",
    ]);
    expect(second.code).toBe(0);
    expect(second.stderr.match(/^cache hit: /gm)).toHaveLength(3);
  });

  it("exits 1 on a cached failure and prints the retry hint", async () => {
    expect((await runCli(["--graph-text", "bad", "--cache-dir", dir, "--fail"])).code).toBe(1);
    const again = await runCli(["--graph-text", "bad", "--cache-dir", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--retry_failed_compilation/);
  });

  it("prints its version like neuronx-cc", async () => {
    const out = await runCli(["--version", "--compiler-version", "9.9.9.9+abc"]);
    expect(out.stdout).toBe("NeuronX Compiler version 9.9.9.9+abc\n");
  });

  it("compiles once when several processes ask for the same graph at once", async () => {
    const args = ["--graph-text", "shared", "--cache-dir", dir, "--compile-ms", "400", "--json"];
    const runs = await Promise.all([runCli(args), runCli(args), runCli(args), runCli(args)]);
    const outcomes = runs.map((run) => JSON.parse(run.stdout).modules[0].outcome as string).sort();
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0]);
    expect(outcomes).toEqual(["compiled", "hit", "hit", "hit"]);
  });
});
