/**
 * What every section of a run shares: the work directory, the S3 server, the data sets
 * (written and seeded once, on first use) and the neff-cache invocation.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BenchArgs } from "./args.ts";
import { runCommand } from "./measure.ts";
import { neffCacheEnv, neffSync } from "./neff-cache.ts";
import type { NeffCacheTarget } from "./neff-cache.ts";
import type { S3Admin } from "./s3-admin.ts";
import type { S3Endpoint } from "./s3-endpoint.ts";
import { planSet, quickSpec } from "./sets.ts";
import type { PlannedSet, SetSpec } from "./sets.ts";
import { writeSet } from "./write-set.ts";

/** Every set is planned from this seed, so all runs move the same bytes. */
export const SET_SEED = 20261126;

export interface LocalSet {
  planned: PlannedSet;
  /** A local cache root holding the set in `neuronxcc-<cv>/`. */
  dir: string;
}

export interface BenchContext {
  root: string;
  args: BenchArgs;
  /** Scratch space for this run; removed at the end. */
  work: string;
  s3: S3Endpoint;
  admin: S3Admin;
  bucket: string;
  /** Every key this run writes lives under this prefix of `bucket`. */
  runPrefix: string;
  target: NeffCacheTarget;
  /** Parallel transfers for neff-cache and for rclone. */
  concurrency: number;
  /** The set as planned and written locally (cached). */
  localSet(spec: SetSpec): Promise<LocalSet>;
  /** The store prefix (`s3://…`) that neff-cache sync filled with the set (cached). */
  seededS3(spec: SetSpec): Promise<{ url: string; prefix: string }>;
  /** A `file://` store that neff-cache sync filled with the set (cached). */
  seededDir(spec: SetSpec): Promise<{ url: string; path: string }>;
  /** The sets written so far, in the order they were first used. */
  writtenSets(): PlannedSet[];
  /** A fresh, empty directory under the work dir. */
  freshDir(name: string): Promise<string>;
}

export interface ContextOptions {
  root: string;
  args: BenchArgs;
  work: string;
  s3: S3Endpoint;
  admin: S3Admin;
  bucket: string;
  runPrefix: string;
  target: NeffCacheTarget;
  concurrency: number;
}

export function createBenchContext(options: ContextOptions): BenchContext {
  const locals = new Map<string, Promise<LocalSet>>();
  const written: PlannedSet[] = [];
  const seeded = new Map<string, Promise<{ url: string; prefix: string }>>();
  const dirStores = new Map<string, Promise<{ url: string; path: string }>>();
  const spec = (s: SetSpec): SetSpec => (options.args.quick ? quickSpec(s) : s);

  const localSet = (s: SetSpec): Promise<LocalSet> => {
    let found = locals.get(s.name);
    if (!found) {
      found = (async () => {
        const planned = planSet(spec(s), SET_SEED);
        const dir = join(options.work, `local-${s.name}`);
        process.stderr.write(
          `  writing set ${s.name} (${planned.files} files, ${(planned.bytes / 2 ** 20).toFixed(1)} MiB)\n`,
        );
        await writeSet({ dir, compilerVersion: options.target.compilerVersion, set: planned });
        written.push(planned);
        return { planned, dir };
      })();
      locals.set(s.name, found);
    }
    return found;
  };

  return {
    ...options,
    localSet,
    seededS3(s) {
      let found = seeded.get(s.name);
      if (!found) {
        found = (async () => {
          const local = await localSet(s);
          const prefix = `${options.runPrefix}/seed-${s.name}`;
          const url = `s3://${options.bucket}/${prefix}`;
          process.stderr.write(`  seeding ${url} with neff-cache sync\n`);
          await runCommand(neffSync(options.target, url, local.dir, neffCacheEnv(options.s3)));
          return { url, prefix };
        })();
        seeded.set(s.name, found);
      }
      return found;
    },
    seededDir(s) {
      let found = dirStores.get(s.name);
      if (!found) {
        found = (async () => {
          const local = await localSet(s);
          const path = join(options.work, `dir-store-${s.name}`);
          await mkdir(path, { recursive: true });
          const url = `file://${path}`;
          process.stderr.write(`  seeding ${url} with neff-cache sync\n`);
          await runCommand(neffSync(options.target, url, local.dir, neffCacheEnv(options.s3)));
          return { url, path };
        })();
        dirStores.set(s.name, found);
      }
      return found;
    },
    writtenSets: () => [...written],
    async freshDir(name) {
      const dir = join(options.work, name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      return dir;
    },
  };
}
