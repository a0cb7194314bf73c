/**
 * A fetch into a full file system (a 20 MiB tmpfs) costs only what it must: the entries that
 * do not fit fail, their partial files are gone at once, the entries still to come are
 * installed smallest first,
 * and one message names the file system, the space free and the space needed. Needs root to
 * mount the tmpfs (CI runs as root); elsewhere it fails saying so, so it is never skipped.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PartialFailureError } from "../../src/errors.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { classifyEntry } from "../../src/layout/classify-entry.ts";
import { fetch, type FetchResult } from "../../src/ops/fetch.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/full-disk";

let work: string;
let mount: string;
let mounted = false;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-no-space-"));
  mount = path.join(work, "small-fs");
  await mkdir(mount);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=20m", "tmpfs", mount], { stdio: "pipe" });
    mounted = true;
  } catch (error) {
    throw new Error(`this test mounts a 20 MiB tmpfs and needs root: ${(error as Error).message}`, {
      cause: error,
    });
  }
}, 60_000);
afterAll(async () => {
  if (mounted) execFileSync("umount", [mount]);
  await rm(work, { recursive: true, force: true });
});

it("installs the entries that fit a full disk, removes the rest at once, and says why in one message", async () => {
  const source = path.join(work, "source");
  const large = await simulateCompile({
    graphs: ["large-0", "large-1", "large-2", "large-3"],
    cacheDir: source,
    compilerVersion: CV,
    neffBytes: 7_000_000,
  });
  await simulateCompile({
    graphs: Array.from({ length: 30 }, (_, i) => `small-${i}`),
    cacheDir: source,
    compilerVersion: CV,
    neffBytes: 100_000,
  });
  const store = createDirStore({ root: path.join(work, "store") });
  await store.create();
  await sync({ store, cacheDir: source, compilerVersion: CV, modelId: MODEL });

  // One file at a time: with several in flight, small entries that are writing when the disk
  // fills fail too and are not tried again (a known gap), which made this test depend on timing.
  const error = await fetch({
    store,
    cacheDir: mount,
    compilerVersion: CV,
    modelId: MODEL,
    concurrency: 1,
  }).catch((e: unknown) => e);
  if (!(error instanceof PartialFailureError)) throw error;
  const result = (error as PartialFailureError<FetchResult>).result;
  // The large entries start first (largest first) and fill the disk together; from then on the
  // smallest go first, so every small entry is installed. (A large entry that failed while in
  // flight is not tried again within the run, even when the space would hold it alone.)
  const largeNames = new Set(large.modules.map((m) => m.name));
  const fetchedLarge = result.fetched.filter((entry) => largeNames.has(entry.module));
  expect(result.fetched.length - fetchedLarge.length).toBe(30);
  expect(result.failed.length).toBe(4 - fetchedLarge.length);
  for (const failure of result.failed) {
    expect(largeNames.has(failure.module)).toBe(true);
    expect(failure.noSpace?.bytes).toBeGreaterThan(7_000_000);
  }
  expect(error.message).toMatch(
    new RegExp(
      `did not fit on the file system mounted at ${mount.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(.* free; they need .*\\)`,
    ),
  );
  // Nothing of a failed entry is left, and no staging dir either.
  const versionDir = path.join(mount, compilerVersionDir(CV));
  const names = await readdir(versionDir);
  expect(names.sort()).toEqual(result.fetched.map((entry) => entry.module).sort());
  for (const name of names) expect(classifyEntry(await readdir(path.join(versionDir, name)))).toBe("success");
});
