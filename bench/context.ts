/**
 * What every section of a run shares: the work directory, the S3 server, the data sets
 * (written and seeded once, on first use) and the neff-cache invocation.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BenchArgs } from "./args.ts";
import { runCommand } from "./measure.ts";
import { neffCacheEnv, neffSync } from "./neff-cache.ts";
import type { Concurrency, NeffCacheTarget } from "./neff-cache.ts";
import type { S3Admin } from "./s3-admin.ts";
import type { S3Endpoint } from "./s3-endpoint.ts";
import type { SetSpec } from "./sets.ts";
import { generateSyntheticCache } from "../tools/synthetic-cache/generate-synthetic-cache.ts";

/** Every set is generated from this seed, so all runs move the same bytes. */
export const SET_SEED = "neff-cache-bench";

/** A data set written as a local cache. */
export interface LocalSet {
  name: string;
  entries: number;
  /** Files over all entries (= objects per area in a store, before any manifest). */
  files: number;
  bytes: number;
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
  concurrency: Concurrency;
  /** With `--profile`: where CPU profiles of extra neff-cache runs go. */
  profileDir: string | undefined;
  /** The set written as a local cache (once, on first use). */
  localSet(spec: SetSpec): Promise<LocalSet>;
  /** The store prefix (`s3://…`) that neff-cache sync filled with the set (cached). */
  seededS3(spec: SetSpec): Promise<{ url: string; prefix: string }>;
  /** A `file://` store that neff-cache sync filled with the set (cached). */
  seededDir(spec: SetSpec): Promise<{ url: string; path: string }>;
  /** The sets written so far, in the order they were first used. */
  writtenSets(): LocalSet[];
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
  concurrency: Concurrency;
  profileDir: string | undefined;
}

export function createBenchContext(options: ContextOptions): BenchContext {
  const locals = new Map<string, Promise<LocalSet>>();
  const written: LocalSet[] = [];
  const seeded = new Map<string, Promise<{ url: string; prefix: string }>>();
  const dirStores = new Map<string, Promise<{ url: string; path: string }>>();

  const localSet = (s: SetSpec): Promise<LocalSet> => {
    let found = locals.get(s.name);
    if (!found) {
      found = (async () => {
        const dir = join(options.work, `local-${s.name}`);
        const shape = options.args.quick ? s.quick : s;
        const generated = await generateSyntheticCache({
          dir,
          compilerVersion: options.target.compilerVersion,
          success: shape.entries,
          seed: SET_SEED,
          profile: s.profile,
          ...(shape.sizes ? { sizes: shape.sizes } : {}),
        });
        const set: LocalSet = {
          name: s.name,
          entries: generated.entries.length,
          files: generated.entries.reduce((sum, entry) => sum + Object.keys(entry.files).length, 0),
          bytes: generated.totalBytes,
          dir,
        };
        const mib = (set.bytes / 2 ** 20).toFixed(1);
        process.stderr.write(
          `  wrote set ${s.name}: ${set.entries} entries, ${set.files} files, ${mib} MiB\n`,
        );
        written.push(set);
        return set;
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
