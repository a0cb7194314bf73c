/**
 * A fetch into a cache dir on a read-only file system (a tmpfs mounted read-only) says so in
 * one error naming the directory, the mount and the fix, rather than failing every entry with
 * EROFS. Mounting needs root (CI runs as root); without it the test is skipped, saying why.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { runCliCaptured } from "../support/run-cli.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/read-only";
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("fetch into a read-only cache dir (mounts a tmpfs: needs root)", () => {
  let work: string;
  let mount: string;
  let mounted = false;
  let storeRoot: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "neff-read-only-"));
    mount = path.join(work, "read-only");
    await mkdir(mount);
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", mount], { stdio: "pipe" });
    mounted = true;
    const source = path.join(work, "source");
    await simulateCompile({ graphs: ["a", "b", "c"], cacheDir: source, compilerVersion: CV });
    storeRoot = path.join(work, "store");
    const store = createDirStore({ root: storeRoot });
    await store.create();
    await sync({ store, cacheDir: source, compilerVersion: CV, modelId: MODEL });
  }, 60_000);
  afterAll(async () => {
    if (mounted) execFileSync("umount", [mount]);
    await rm(work, { recursive: true, force: true });
  });

  it("fails once with E_CACHE_READ_ONLY naming the directory and the mount", async () => {
    const error = await fetch({
      store: createDirStore({ root: storeRoot }),
      cacheDir: mount,
      compilerVersion: CV,
      modelId: MODEL,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe("E_CACHE_READ_ONLY");
    expect((error as UsageError).message).toBe(
      `The cache dir ${mount} is on a read-only file system (mounted at ${mount}); nothing can be installed there.`,
    );
    expect((error as UsageError).hint).toMatch(
      /Remount .* read-write, or fetch into a writable directory with --cache-dir/,
    );
    expect(await readdir(mount)).toEqual([]);
  });

  it("the CLI exits 2 with the message and the fix", async () => {
    const run = await runCliCaptured(["fetch", MODEL, "--bucket", storeRoot, "--cache-dir", mount], {
      env: { PATH: process.env.PATH, HOME: work, NEFF_CACHE_COMPILER_VERSION: CV },
      cwd: work,
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`is on a read-only file system (mounted at ${mount})`);
    expect(run.stderr).toMatch(/Remount .* read-write/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
