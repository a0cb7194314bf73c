/**
 * A fetch into a full file system (a 20 MiB tmpfs) costs only what it must: the entries that
 * do not fit fail, their partial files are gone at once, the entries still to come are
 * installed smallest first, an entry the full disk stopped while others were writing is tried
 * once more alone, and one message names the file system, the space free and the space needed. Needs root to
 * mount the tmpfs (CI runs as root); elsewhere it fails saying so, so it is never skipped.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, statfs } from "node:fs/promises";
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

  // The default concurrency, several runs: which entries are in flight when the disk fills
  // varies from run to run, and each run must still end with every entry that fits installed.
  const versionDir = path.join(mount, compilerVersionDir(CV));
  const largeNames = new Set(large.modules.map((m) => m.name));
  for (let run = 1; run <= 5; run++) {
    await rm(versionDir, { recursive: true, force: true });
    const error = await fetch({ store, cacheDir: mount, compilerVersion: CV, modelId: MODEL }).catch(
      (e: unknown) => e,
    );
    if (!(error instanceof PartialFailureError)) throw error;
    const result = (error as PartialFailureError<FetchResult>).result;
    // Every small entry is installed, and no large one that failed would fit in what is left.
    const fetchedLarge = result.fetched.filter((entry) => largeNames.has(entry.module));
    expect(result.fetched.length - fetchedLarge.length, `run ${run}`).toBe(30);
    expect(result.failed.length, `run ${run}`).toBe(4 - fetchedLarge.length);
    const info = await statfs(mount);
    const free = info.bavail * info.bsize;
    for (const failure of result.failed) {
      expect(largeNames.has(failure.module)).toBe(true);
      expect(failure.noSpace?.bytes, `run ${run}: ${failure.module} would fit`).toBeGreaterThan(free);
    }
    expect(fetchedLarge.length, `run ${run}`).toBeGreaterThan(0);
    expect(error.message).toMatch(
      new RegExp(
        `did not fit on the file system mounted at ${mount.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(.* free; they need .*\\)`,
      ),
    );
    // Nothing of a failed entry is left, and no staging dir either.
    const names = await readdir(versionDir);
    expect(names.sort()).toEqual(result.fetched.map((entry) => entry.module).sort());
    for (const name of names)
      expect(classifyEntry(await readdir(path.join(versionDir, name)))).toBe("success");
  }
});
