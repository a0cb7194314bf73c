import { rmSync, writeFileSync } from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENTRY_FILES, makeEntry, tempDir } from "../../test/fixtures/local-cache.ts";
import { generateSyntheticCache } from "../../tools/synthetic-cache/generate-synthetic-cache.ts";
import { UsageError } from "../errors.ts";
import { nodeLocalFs, type LocalFs } from "../local/local-fs.ts";
import { renderStatus } from "../cli/render/status.ts";
import { status } from "./status.ts";

const CV = "2.21.33363.0+82129205";
const V = `neuronxcc-${CV}`;
let root: string;

beforeEach(async () => {
  root = await tempDir("neff-status-");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const run = (extra: Partial<Parameters<typeof status>[0]> = {}) =>
  status({ cacheDir: root, env: {}, detectCompilerVersion: false, ...extra });

describe("status", () => {
  it("reports exactly the generator's counts and bytes", async () => {
    const made = await generateSyntheticCache({
      dir: root,
      compilerVersion: CV,
      success: 40,
      failed: 7,
      locked: 5,
      empty: 3,
      profile: "small",
      seed: "status",
    });
    const result = await run({ compilerVersion: CV });
    expect(result.exists).toBe(true);
    expect(result.counts).toEqual(made.counts);
    expect(result.sizes).toEqual(made.sizes);
    expect(result.totalBytes).toBe(made.totalBytes);
    expect(result.compilerVersions).toEqual([
      { dir: V, version: CV, status: "current", entryCount: 55, sizeBytes: made.totalBytes },
    ]);
    expect(result.oldVersionBytes).toBe(0);
    expect(result.problems).toEqual([]);
    expect(result.entries).toBeUndefined();
  });

  it("marks other versions old and counts their bytes", async () => {
    await makeEntry(root, V, "MODULE_a+1", ENTRY_FILES.success);
    const old = await makeEntry(root, "neuronxcc-1.0.0.0+old", "MODULE_b+1", ENTRY_FILES.success);
    const result = await run({ compilerVersion: CV });
    expect(result.compilerVersions.map((v) => [v.dir, v.status])).toEqual([
      ["neuronxcc-1.0.0.0+old", "old"],
      [V, "current"],
    ]);
    expect(result.oldVersionBytes).toBe(old.bytes);
    expect(renderStatus(result)).toContain(`Old compiler version data: ${(old.bytes / 1024).toFixed(1)} KB`);
  });

  it("calls every version unknown when the compiler version is unknown", async () => {
    await makeEntry(root, V, "MODULE_a+1", ENTRY_FILES.success);
    const result = await run();
    expect(result.currentCompilerVersion).toBeNull();
    expect(result.compilerVersions[0]?.status).toBe("unknown");
    expect(result.oldVersionBytes).toBe(0);
  });

  it("takes the version from NEFF_CACHE_COMPILER_VERSION", async () => {
    const result = await run({ env: { NEFF_CACHE_COMPILER_VERSION: CV } });
    expect(result.currentCompilerVersion).toBe(CV);
    expect(result.compilerVersionSource).toBe("NEFF_CACHE_COMPILER_VERSION");
  });

  it("counts every state and lists entries when asked", async () => {
    for (const [state, files] of Object.entries(ENTRY_FILES))
      await makeEntry(root, V, `MODULE_${state}+0`, files);
    // A legacy traced-model entry has no "+flags" part and still counts.
    await makeEntry(root, V, "MODULE_0123456789abcdef0123", { "config.json": "{}" });
    const result = await run({ entries: true });
    expect(result.counts).toEqual({ success: 1, failed: 1, locked: 1, empty: 2 });
    expect(result.entries?.map((e) => [e.name, e.state])).toEqual([
      ["MODULE_0123456789abcdef0123", "empty"],
      ["MODULE_empty+0", "empty"],
      ["MODULE_failed+0", "failed"],
      ["MODULE_locked+0", "locked"],
      ["MODULE_success+0", "success"],
    ]);
    const text = renderStatus(result);
    expect(text).toContain("Success:      1  (1.3 KB)");
    expect(text).toContain("Empty:        2  (");
  });

  it("ignores registry dirs, other dirs and stray files", async () => {
    await makeEntry(root, V, "MODULE_a+1", ENTRY_FILES.success);
    await makeEntry(root, V, "0_REGISTRY", { "x.json": "{}" });
    await makeEntry(root, "other", "MODULE_z+1", ENTRY_FILES.success);
    await fsp.writeFile(path.join(root, "neuronxcc-file"), "not a dir");
    await fsp.writeFile(path.join(root, V, "MODULE_file+1"), "not a dir");
    const result = await run();
    expect(result.counts.success).toBe(1);
    expect(result.compilerVersions.map((v) => v.dir)).toEqual([V]);
  });

  it("sizes nested dirs inside an entry", async () => {
    const entry = await makeEntry(root, V, "MODULE_a", { "config.json": "{}" });
    await fsp.mkdir(path.join(entry.path, "sub", "deeper"), { recursive: true });
    await fsp.writeFile(path.join(entry.path, "sub", "deeper", "w.bin"), Buffer.alloc(500));
    expect((await run()).totalBytes).toBe(502);
  });

  it("never follows symlinks out of the cache", async () => {
    const outside = await tempDir("neff-outside-");
    try {
      await fsp.writeFile(path.join(outside, "big"), Buffer.alloc(100_000));
      await makeEntry(outside, V, "MODULE_out+1", ENTRY_FILES.success);
      const entry = await makeEntry(root, V, "MODULE_a+1", ENTRY_FILES.success);
      await fsp.symlink(path.join(outside, "big"), path.join(entry.path, "link"));
      await fsp.symlink(outside, path.join(entry.path, "dirlink"));
      await fsp.symlink(path.join(outside, V, "MODULE_out+1"), path.join(root, V, "MODULE_linked+1"));
      await fsp.symlink(path.join(outside, V), path.join(root, "neuronxcc-9.9.9"));
      const linkSizes =
        (await fsp.lstat(path.join(entry.path, "link"))).size +
        (await fsp.lstat(path.join(entry.path, "dirlink"))).size;
      const result = await run();
      expect(result.counts.success).toBe(1);
      expect(result.totalBytes).toBe(entry.bytes + linkSizes);
      expect(result.problems.map((p) => [path.relative(root, p.path), p.code])).toEqual([
        [`${V}/MODULE_linked+1`, "SYMLINK"],
        ["neuronxcc-9.9.9", "SYMLINK"],
      ]);
    } finally {
      await fsp.rm(outside, { recursive: true, force: true });
    }
  });

  it("returns an empty status for a missing cache dir", async () => {
    const result = await run({ cacheDir: path.join(root, "nope") });
    expect(result.exists).toBe(false);
    expect(result.totalBytes).toBe(0);
    expect(renderStatus(result)).toContain("does not exist");
  });

  it("throws a UsageError when the cache path is a file", async () => {
    const file = path.join(root, "file");
    await fsp.writeFile(file, "x");
    await expect(run({ cacheDir: file })).rejects.toThrow(UsageError);
    await expect(run({ cacheDir: file })).rejects.toThrow(/not a directory/);
  });

  it("says there is no local cache when the compiler caches in S3", async () => {
    const result = await status({
      env: { NEURON_COMPILE_CACHE_URL: "s3://bucket/p" },
      detectCompilerVersion: false,
    });
    expect(result.cacheDir).toBeNull();
    expect(result.note).toMatch(/no local cache: the compiler caches directly in S3/);
    expect(renderStatus(result)).toBe(
      "No local cache: the compiler caches directly in S3 (NEURON_COMPILE_CACHE_URL=s3://bucket/p).",
    );
  });

  it("resolves the cache dir from NEURON_CC_FLAGS and names the source", async () => {
    await makeEntry(root, V, "MODULE_a+1", ENTRY_FILES.success);
    const result = await status({
      env: { NEURON_CC_FLAGS: `-O1 --cache_dir='${root}'`, NEURON_COMPILE_CACHE_URL: "/elsewhere" },
      detectCompilerVersion: false,
    });
    expect(result.cacheDir).toBe(root);
    expect(result.cacheDirSource).toBe("NEURON_CC_FLAGS");
    expect(result.counts.success).toBe(1);
  });

  // Root reads every directory regardless of its mode, so permission errors are injected.
  it("reports an unreadable entry and goes on with the rest", async () => {
    await makeEntry(root, V, "MODULE_a+1", ENTRY_FILES.success);
    const locked = await makeEntry(root, V, "MODULE_b+1", ENTRY_FILES.success);
    const fs: LocalFs = {
      ...nodeLocalFs,
      readdirSync: (p) => {
        if (p === locked.path)
          throw Object.assign(new Error(`EACCES: permission denied, scandir '${p}'`), { code: "EACCES" });
        return nodeLocalFs.readdirSync(p);
      },
    };
    const result = await run({ fs });
    expect(result.counts.success).toBe(1);
    expect(result.problems).toEqual([expect.objectContaining({ path: locked.path, code: "EACCES" })]);
    expect(renderStatus(result)).toContain("Could not read 1 item(s)");
  });

  it("throws a UsageError naming the fix for an unreadable cache root", async () => {
    const fs: LocalFs = {
      ...nodeLocalFs,
      readdirTypedSync: () => {
        throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
      },
    };
    await expect(run({ fs })).rejects.toThrow(/Cannot read the cache directory/);
  });

  it("skips entries that vanish during the walk and re-reads entries that change", async () => {
    const gone = await makeEntry(root, V, "MODULE_gone+1", ENTRY_FILES.success);
    const changing = await makeEntry(root, V, "MODULE_changing+1", ENTRY_FILES.locked);
    await makeEntry(root, V, "MODULE_stays+1", ENTRY_FILES.failed);
    let changed = false;
    const fs: LocalFs = {
      ...nodeLocalFs,
      readdirSync: (p) => {
        if (p === gone.path) rmSync(gone.path, { recursive: true });
        return nodeLocalFs.readdirSync(p);
      },
      lstatSync: (p) => {
        // The compile finishes between the listing and the lstat: the lock disappears.
        if (!changed && p === path.join(changing.path, "model.hlo_module.pb.lock")) {
          changed = true;
          rmSync(p);
          writeFileSync(path.join(changing.path, "model.neff"), "n");
          writeFileSync(path.join(changing.path, "model.done"), "");
        }
        return nodeLocalFs.lstatSync(p);
      },
    };
    const result = await run({ fs, entries: true });
    expect(result.entries?.map((e) => [e.name, e.state])).toEqual([
      ["MODULE_changing+1", "success"],
      ["MODULE_stays+1", "failed"],
    ]);
    expect(result.problems).toEqual([]);
  });

  it("asks the installed compiler for its version when none is given", async () => {
    const result = await status({
      cacheDir: root,
      env: {},
      run: async (file) => {
        if (file === "neuronx-cc") return { stdout: `NeuronX Compiler version ${CV}\n`, stderr: "" };
        throw new Error("unexpected");
      },
    });
    expect(result.currentCompilerVersion).toBe(CV);
    expect(result.compilerVersionSource).toBe("neuronx-cc");
  });
});
