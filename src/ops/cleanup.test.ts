import { spawn, type ChildProcess } from "node:child_process";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENTRY_FILES, listTree, makeEntry, tempDir } from "../../test/fixtures/local-cache.ts";
import { generateSyntheticCache } from "../../tools/synthetic-cache/generate-synthetic-cache.ts";
import { renderCleanup } from "../cli/render/cleanup.ts";
import { BusyError, UsageError } from "../errors.ts";
import { nodeLocalFs, type LocalFs } from "../local/local-fs.ts";
import { markEntryUsed } from "../local/mark-entry-used.ts";
import { cleanup, type CleanupOptions } from "./cleanup.ts";
import { status } from "./status.ts";

const CV = "2.21.33363.0+82129205";
const V = `neuronxcc-${CV}`;
let root: string;

beforeEach(async () => {
  root = await tempDir("neff-cleanup-");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const noCompiler = async () => [];
const run = (extra: Partial<CleanupOptions> = {}) =>
  cleanup({ cacheDir: root, env: {}, findCompilerProcesses: noCompiler, ...extra });

async function names(): Promise<string[]> {
  const result = await status({ cacheDir: root, env: {}, detectCompilerVersion: false, entries: true });
  return (result.entries ?? []).map((e) => `${e.name}:${e.state}`);
}

async function makeAllStates(): Promise<Record<string, { path: string; bytes: number }>> {
  const made: Record<string, { path: string; bytes: number }> = {};
  for (const [state, files] of Object.entries(ENTRY_FILES))
    made[state] = await makeEntry(root, V, `MODULE_${state}+0`, files);
  return made;
}

describe("cleanup", () => {
  it("removes failed entries and lock files by default, keeping success, empty and the locked dir", async () => {
    const made = await makeAllStates();
    const result = await run();
    expect(result.failedRemoved).toBe(1);
    expect(result.locksRemoved).toBe(1);
    expect(result.emptyRemoved).toBe(0);
    expect(result.bytesFreed).toBe(made.failed?.bytes);
    expect(await names()).toEqual([
      "MODULE_empty+0:empty",
      "MODULE_locked+0:empty",
      "MODULE_success+0:success",
    ]);
    expect(await fsp.readdir(path.join(root, V))).toEqual(
      expect.not.arrayContaining([expect.stringContaining("trash")]),
    );
    expect(renderCleanup(result)).toBe(
      `Removed 1 failed entries. Removed 1 stale lock files. Freed ${made.failed?.bytes} B.`,
    );
  });

  it("keeps failed entries and locks when told to, and removes empty entries with --empty", async () => {
    await makeAllStates();
    const result = await run({ failed: false, locks: false, empty: true });
    expect(result.emptyRemoved).toBe(1);
    expect(await names()).toEqual([
      "MODULE_failed+0:failed",
      "MODULE_locked+0:locked",
      "MODULE_success+0:success",
    ]);
  });

  it("changes nothing on a dry run and reports exactly what would go", async () => {
    await generateSyntheticCache({
      dir: root,
      compilerVersion: CV,
      success: 6,
      failed: 3,
      locked: 2,
      empty: 2,
      profile: "small",
    });
    await generateSyntheticCache({ dir: root, compilerVersion: "1.0.0+old", success: 2, profile: "small" });
    const before = await listTree(root);
    const options = { empty: true, oldVersions: true, compilerVersion: CV, maxSizeBytes: 10_000 };
    const dry = await run({ ...options, dryRun: true });
    expect(await listTree(root)).toEqual(before);
    expect(dry.dryRun).toBe(true);
    const real = await run(options);
    const strip = (r: typeof dry) => ({ ...r, dryRun: false, removed: r.removed.map((x) => x.path).sort() });
    expect(strip(real)).toEqual(strip(dry));
    expect(real.failedRemoved).toBe(3);
    expect(real.locksRemoved).toBe(2);
    expect(real.oldVersionsRemoved).toEqual(["neuronxcc-1.0.0+old"]);
    expect(renderCleanup(dry)).toMatch(/^Dry run, nothing changed\. Would have: Removed 3 failed entries/);
  });

  it("removes old compiler versions only with a known current version", async () => {
    await makeEntry(root, V, "MODULE_a+1", ENTRY_FILES.success);
    await makeEntry(root, "neuronxcc-1.0.0.0+old", "MODULE_b+1", ENTRY_FILES.success);
    await expect(
      run({ oldVersions: true, run: async () => Promise.reject(new Error("absent")) }),
    ).rejects.toMatchObject({
      name: "UsageError",
      hint: expect.stringMatching(/--compiler-version.*NEFF_CACHE_COMPILER_VERSION/),
    });
    const result = await run({ oldVersions: true, compilerVersion: CV });
    expect(result.oldVersionsRemoved).toEqual(["neuronxcc-1.0.0.0+old"]);
    expect(await fsp.readdir(root)).toEqual([V]);
  });

  it("wipes the whole cache dir, even while a compiler runs; a dry run keeps it", async () => {
    const made = await makeAllStates();
    const total = Object.values(made).reduce((sum, e) => sum + e.bytes, 0);
    const busy = async () => [{ pid: 1, name: "neuronx-cc" }];
    const dry = await run({ wipe: true, dryRun: true, findCompilerProcesses: busy });
    expect(dry.wiped).toBe(true);
    expect(dry.bytesFreed).toBe(total);
    await fsp.access(root);
    const result = await run({ wipe: true, findCompilerProcesses: busy });
    expect(result.bytesFreed).toBe(total);
    await expect(fsp.access(root)).rejects.toThrow();
    expect(renderCleanup(result)).toBe(`Cache wiped. Freed ${(total / 1024).toFixed(1)} KB.`);
    expect((await fsp.readdir(path.dirname(root))).some((n) => n.includes(path.basename(root)))).toBe(false);
  });

  it("empties a symlinked cache dir on wipe and keeps the link", async () => {
    const made = await makeAllStates();
    const link = path.join(await tempDir("neff-link-"), "cache");
    try {
      await fsp.symlink(root, link);
      const result = await run({ cacheDir: link, wipe: true });
      expect(result.wiped).toBe(true);
      expect(result.bytesFreed).toBe(Object.values(made).reduce((sum, e) => sum + e.bytes, 0));
      expect((await fsp.lstat(link)).isSymbolicLink()).toBe(true);
      expect(await fsp.readdir(root)).toEqual([]);
    } finally {
      await fsp.rm(path.dirname(link), { recursive: true, force: true });
    }
  });

  it("refuses to wipe a cache path that is a file", async () => {
    const file = path.join(root, "file");
    await fsp.writeFile(file, "x");
    await expect(run({ cacheDir: file, wipe: true })).rejects.toThrow(/not a directory/);
    await fsp.access(file);
  });

  // Root reads every directory regardless of its mode, so the EACCES is injected.
  it("leaves unreadable entries alone and reports them", async () => {
    const hidden = await makeEntry(root, V, "MODULE_f1+0", ENTRY_FILES.failed);
    await makeEntry(root, V, "MODULE_f2+0", ENTRY_FILES.failed);
    const fs: LocalFs = {
      ...nodeLocalFs,
      readdirSync: (p) => {
        if (p === hidden.path)
          throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
        return nodeLocalFs.readdirSync(p);
      },
    };
    const result = await run({ fs });
    expect(result.failedRemoved).toBe(1);
    expect(result.problems.map((p) => [p.path, p.code])).toEqual([[hidden.path, "EACCES"]]);
    await fsp.access(hidden.path);
    expect(renderCleanup(result)).toContain("Could not read 1 item(s); they were left alone:");
  });

  it("returns an empty result for a missing cache dir", async () => {
    const result = await run({ cacheDir: path.join(root, "missing") });
    expect(result.removed).toEqual([]);
    expect(renderCleanup(result)).toBe("Nothing to clean up. Freed 0 B.");
  });

  it("is a UsageError when the compiler caches in S3", async () => {
    await expect(
      cleanup({ env: { NEURON_COMPILE_CACHE_URL: "s3://b/p" }, findCompilerProcesses: noCompiler }),
    ).rejects.toThrow(UsageError);
  });

  it("evicts least-recently-used success entries down to --max-size, oldest first", async () => {
    const entries = [];
    for (let i = 0; i < 5; i += 1)
      entries.push(await makeEntry(root, V, `MODULE_s${i}+0`, ENTRY_FILES.success));
    const failed = await makeEntry(root, V, "MODULE_f+0", ENTRY_FILES.failed);
    const size = entries[0]?.bytes as number;
    // Used at: s0 day 5, s1 day 1, s2 day 3, s3 day 2, s4 day 4.
    const day = 86_400_000;
    const base = Date.UTC(2026, 0, 1);
    const used = [5, 1, 3, 2, 4];
    for (const [i, entry] of entries.entries()) {
      const at = new Date(base + (used[i] as number) * day);
      await fsp.utimes(path.join(entry.path, "model.neff"), at, at);
      await fsp.utimes(entry.path, at, at);
    }
    const result = await run({ maxSizeBytes: 2 * size, now: new Date(base + 6 * day) });
    expect(result.removed.filter((r) => r.reason === "over-size").map((r) => path.basename(r.path))).toEqual([
      "MODULE_s1+0",
      "MODULE_s3+0",
      "MODULE_s2+0",
    ]);
    expect(result.failedRemoved).toBe(1);
    expect(result.evicted).toBe(3);
    expect(result.bytesFreed).toBe(3 * size + failed.bytes);
    expect(result.remainingBytes).toBe(2 * size);
    expect(await names()).toEqual(["MODULE_s0+0:success", "MODULE_s4+0:success"]);
  });

  it("evicts entries unused for longer than --unused-for, counting markEntryUsed as a use", async () => {
    const day = 86_400_000;
    const now = new Date(Date.UTC(2026, 5, 1));
    const old = new Date(now.getTime() - 40 * day);
    const a = await makeEntry(root, V, "MODULE_a+0", ENTRY_FILES.success);
    const b = await makeEntry(root, V, "MODULE_b+0", ENTRY_FILES.success);
    for (const entry of [a, b]) {
      await fsp.utimes(path.join(entry.path, "model.neff"), old, old);
      await fsp.utimes(entry.path, old, old);
    }
    await markEntryUsed(b.path, { now: new Date(now.getTime() - day) });
    const result = await run({ unusedForMs: 30 * day, now });
    expect(result.removed.map((r) => [path.basename(r.path), r.reason])).toEqual([["MODULE_a+0", "unused"]]);
    expect(await names()).toEqual(["MODULE_b+0:success"]);
  });

  it("refuses with a BusyError while a compiler runs, unless forced", async () => {
    await makeAllStates();
    const busy = async () => [{ pid: 4242, name: "walrus_driver" }];
    const refusal = run({ findCompilerProcesses: busy });
    await expect(refusal).rejects.toThrow(BusyError);
    await expect(run({ findCompilerProcesses: busy })).rejects.toThrow(/walrus_driver \(pid 4242\)/);
    expect((await names()).length).toBe(4);
    const dry = await run({ findCompilerProcesses: busy, dryRun: true });
    expect(dry.failedRemoved).toBe(1);
    expect(renderCleanup(dry)).toContain("walrus_driver (pid 4242)");
    expect((await names()).length).toBe(4);
    const forced = await run({ findCompilerProcesses: busy, force: true });
    expect(forced.failedRemoved).toBe(1);
  });

  // Root bypasses directory permissions, so the EACCES of a read-only version dir is injected.
  it("reports entries it cannot delete, leaves them whole and removes the rest", async () => {
    const blocked = await makeEntry(root, V, "MODULE_f1+0", ENTRY_FILES.failed);
    await makeEntry(root, V, "MODULE_f2+0", ENTRY_FILES.failed);
    const lock = await makeEntry(root, V, "MODULE_l+0", ENTRY_FILES.locked);
    const lockPath = path.join(lock.path, "model.hlo_module.pb.lock");
    const denied = (p: string) =>
      Object.assign(new Error(`EACCES: permission denied, '${p}'`), { code: "EACCES" });
    const fs: LocalFs = {
      ...nodeLocalFs,
      rename: async (from, to) => {
        if (from === blocked.path) throw denied(from);
        return nodeLocalFs.rename(from, to);
      },
      unlink: async (p) => {
        if (p === lockPath) throw denied(p);
        return nodeLocalFs.unlink(p);
      },
    };
    const result = await run({ fs });
    expect(result.failedRemoved).toBe(1);
    expect(result.locksRemoved).toBe(0);
    expect(result.errors.map((e) => [e.path, e.code])).toEqual([
      [blocked.path, "EACCES"],
      [lockPath, "EACCES"],
    ]);
    expect((await fsp.readdir(blocked.path)).sort()).toEqual(Object.keys(ENTRY_FILES.failed).sort());
    expect(await names()).toEqual(["MODULE_f1+0:failed", "MODULE_l+0:locked"]);
    expect(renderCleanup(result)).toContain("Could not remove 2 item(s)");
  });

  it("never leaves a half-deleted entry behind: a failed removal leaves only hidden trash, removed next time", async () => {
    const failed = await makeEntry(root, V, "MODULE_f+0", ENTRY_FILES.failed);
    const fs: LocalFs = {
      ...nodeLocalFs,
      rm: async () => {
        throw Object.assign(new Error("EIO: simulated crash"), { code: "EIO" });
      },
    };
    const crashed = await run({ fs });
    expect(crashed.errors.map((e) => e.path)).toEqual([failed.path]);
    const left = await fsp.readdir(path.join(root, V));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.MODULE_f\+0\.neff-cache-trash-/);
    expect(await names()).toEqual([]);
    const next = await run();
    expect(next.trashRemoved).toBe(1);
    expect(await fsp.readdir(path.join(root, V))).toEqual([]);
  });
});

describe("cleanup with a real compiler process", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.pid !== undefined) child.kill("SIGKILL");
    child = undefined;
  });

  it("refuses while a process named neuronx-cc runs", async () => {
    await makeAllStates();
    const bin = await tempDir("neff-fake-compiler-");
    try {
      const fake = path.join(bin, "neuronx-cc");
      await fsp.symlink((await fsp.realpath("/bin/sleep")) as string, fake);
      child = spawn(fake, ["30"], { stdio: "ignore" });
      await new Promise((resolve) => child?.once("spawn", resolve));
      const result = cleanup({ cacheDir: root, env: {} });
      await expect(result).rejects.toThrow(BusyError);
      await expect(cleanup({ cacheDir: root, env: {} })).rejects.toMatchObject({
        message: expect.stringContaining(`neuronx-cc (pid ${child.pid})`),
        hint: expect.stringMatching(/--force/),
      });
      expect((await names()).length).toBe(4);
    } finally {
      await fsp.rm(bin, { recursive: true, force: true });
    }
  });
});
