import fsp from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENTRY_FILES, makeEntry, tempDir } from "../../test/fixtures/local-cache.ts";
import { runCli } from "./main.ts";

const V = "neuronxcc-1.0.0+abc";
let root: string;
beforeEach(async () => {
  root = await tempDir("neff-cli-local-");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

function sink(): { stream: Writable; text: () => string } {
  let out = "";
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    }),
    text: () => out,
  };
}

async function cli(argv: string[], env: Record<string, string> = {}) {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli({
    argv,
    env: { NEFF_CACHE_COMPILER_VERSION: "1.0.0+abc", ...env },
    cwd: root,
    stdout: stdout.stream,
    stderr: stderr.stream,
    interactive: false,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("neff-cache status and cleanup", () => {
  it("prints status as JSON with counts per state", async () => {
    for (const [state, files] of Object.entries(ENTRY_FILES))
      await makeEntry(root, V, `MODULE_${state}+0`, files);
    const out = await cli(["status", "--cache-dir", root, "--json"]);
    expect(out.code).toBe(0);
    const data = JSON.parse(out.stdout);
    expect(data.counts).toEqual({ success: 1, failed: 1, locked: 1, empty: 1 });
    expect(data.compilerVersions[0].status).toBe("current");
  });

  it("resolves a relative --cache-dir against the working directory", async () => {
    await makeEntry(root, V, "MODULE_a+0", ENTRY_FILES.success);
    const out = await cli(["status", "--cache-dir", ".", "--json"]);
    expect(JSON.parse(out.stdout).cacheDir).toBe(root);
  });

  it("cleans, honouring --no-failed and --empty", async () => {
    for (const [state, files] of Object.entries(ENTRY_FILES))
      await makeEntry(root, V, `MODULE_${state}+0`, files);
    const out = await cli(["cleanup", "--cache-dir", root, "--no-failed", "--empty"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Removed 1 stale lock files\. Removed 1 empty entries\. Freed 300 B\./);
    expect((await fsp.readdir(path.join(root, V))).sort()).toEqual([
      "MODULE_failed+0",
      "MODULE_locked+0",
      "MODULE_success+0",
    ]);
  });

  it("rejects a bad --max-size with a usage error", async () => {
    const out = await cli(["cleanup", "--cache-dir", root, "--max-size", "lots"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('Invalid size "lots"');
  });

  it("says there is no local cache when the compiler caches in S3", async () => {
    const out = await cli(["cleanup"], { NEURON_COMPILE_CACHE_URL: "s3://bucket/prefix" });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("No local cache: the compiler caches directly in S3");
  });
});
