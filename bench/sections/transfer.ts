/**
 * fetch and sync against rclone on the S3 server, and fetch from a directory store against
 * `cp -r` of the same tree.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { BenchContext } from "../context.ts";
import type { CountingProxy } from "../counting-proxy.ts";
import type { Side } from "../measure.ts";
import { flatPrefix, neffCacheEnv, neffFetch, neffSync, perModelPrefix } from "../neff-cache.ts";
import { RCLONE_REMOTE, rcloneCopy, rcloneEnv } from "../rclone.ts";
import type { Comparison } from "../results.ts";
import type { SetSpec } from "../sets.ts";
import { assertTreeHolds, measureTree } from "../tree.ts";
import { compare } from "./compare.ts";

function versionDir(ctx: BenchContext, cacheRoot: string): string {
  return join(cacheRoot, `neuronxcc-${ctx.target.compilerVersion}`);
}

/** A side that fills a fresh local directory and checks it holds the whole set afterwards. */
function downloadSide(
  ctx: BenchContext,
  label: string,
  dirName: (run: number) => string,
  expected: { files: number; bytes: number },
  command: (dir: string, endpoint: string | undefined) => ReturnType<Side["prepare"]>,
): Side {
  const dirs = new Map<number, string>();
  return {
    label,
    async prepare(run, endpoint) {
      const dir = await ctx.freshDir(dirName(run));
      dirs.set(run, dir);
      return command(dir, endpoint);
    },
    async verify(run) {
      const dir = dirs.get(run) as string;
      assertTreeHolds(`${label} run ${run + 1}`, await measureTree(versionDir(ctx, dir)), expected);
    },
    async cleanup(run) {
      await rm(dirs.get(run) as string, { recursive: true, force: true });
    },
  };
}

export async function fetchComparison(
  ctx: BenchContext,
  spec: SetSpec,
  proxy: CountingProxy,
): Promise<Comparison> {
  const local = await ctx.localSet(spec);
  const seeded = await ctx.seededS3(spec);
  const expected = { files: local.files, bytes: local.bytes };
  const source = `${RCLONE_REMOTE}:${ctx.bucket}/${perModelPrefix(ctx.target, seeded.prefix)}`;
  return compare({
    id: `fetch-${spec.name}`,
    title: `fetch ${spec.name} (S3)`,
    set: spec.name,
    runs: ctx.args.runs,
    profileDir: ctx.profileDir,
    proxy,
    candidate: downloadSide(
      ctx,
      "neff-cache fetch",
      (r) => `fetch-${spec.name}-neff-${r}`,
      expected,
      async (dir, endpoint) => [neffFetch(ctx.target, seeded.url, dir, neffCacheEnv(ctx.s3, endpoint))],
    ),
    reference: downloadSide(
      ctx,
      "rclone copy",
      (r) => `fetch-${spec.name}-rclone-${r}`,
      expected,
      async (dir, endpoint) => [
        rcloneCopy({
          from: source,
          to: versionDir(ctx, dir),
          concurrency: ctx.concurrency.fetch,
          env: rcloneEnv(ctx.s3, endpoint),
        }),
      ],
    ),
  });
}

/** A side that writes the set to a fresh prefix and checks both areas hold it afterwards. */
function uploadSide(
  ctx: BenchContext,
  label: string,
  spec: SetSpec,
  expected: { files: number; bytes: number },
  command: (prefix: string, endpoint: string | undefined) => ReturnType<Side["prepare"]>,
): Side {
  const tag = label.split(" ")[0] ?? "side";
  const prefixOf = (run: number): string => `${ctx.runPrefix}/sync-${spec.name}-${tag}-${run}`;
  return {
    label,
    prepare: (run, endpoint) => command(prefixOf(run), endpoint),
    async verify(run) {
      const prefix = prefixOf(run);
      const flat = await ctx.admin.measurePrefix(ctx.bucket, flatPrefix(ctx.target, prefix));
      const perModel = await ctx.admin.measurePrefix(ctx.bucket, perModelPrefix(ctx.target, prefix));
      // The flat listing includes the per-model area below it.
      assertTreeHolds(`${label} run ${run + 1}, per-model area`, perModel, expected);
      assertTreeHolds(
        `${label} run ${run + 1}, flat area`,
        { files: flat.files - perModel.files, bytes: flat.bytes - perModel.bytes },
        expected,
      );
    },
    async cleanup(run) {
      await ctx.admin.deletePrefix(ctx.bucket, prefixOf(run));
    },
  };
}

export async function syncComparison(
  ctx: BenchContext,
  spec: SetSpec,
  proxy: CountingProxy,
): Promise<Comparison> {
  const local = await ctx.localSet(spec);
  const expected = { files: local.files, bytes: local.bytes };
  const from = versionDir(ctx, local.dir);
  return compare({
    id: `sync-${spec.name}`,
    title: `sync ${spec.name} (S3, both areas)`,
    set: spec.name,
    runs: ctx.args.runs,
    profileDir: ctx.profileDir,
    proxy,
    candidate: uploadSide(
      ctx,
      "neff-cache sync",
      spec,
      { files: expected.files, bytes: expected.bytes },
      async (prefix, endpoint) => [
        neffSync(ctx.target, `s3://${ctx.bucket}/${prefix}`, local.dir, neffCacheEnv(ctx.s3, endpoint)),
      ],
    ),
    reference: uploadSide(ctx, "rclone copy ×2", spec, expected, async (prefix, endpoint) => {
      const env = rcloneEnv(ctx.s3, endpoint);
      const remote = (key: string): string => `${RCLONE_REMOTE}:${ctx.bucket}/${key}`;
      return [
        rcloneCopy({
          from,
          to: remote(perModelPrefix(ctx.target, prefix)),
          concurrency: ctx.concurrency.sync,
          env,
        }),
        rcloneCopy({
          from,
          to: remote(flatPrefix(ctx.target, prefix)),
          concurrency: ctx.concurrency.sync,
          env,
        }),
      ];
    }),
  });
}

export async function dirFetchComparison(ctx: BenchContext, spec: SetSpec): Promise<Comparison> {
  const local = await ctx.localSet(spec);
  const store = await ctx.seededDir(spec);
  const expected = { files: local.files, bytes: local.bytes };
  const tree = join(
    store.path,
    `neuronxcc-${ctx.target.compilerVersion}`,
    ctx.target.modelId,
    ctx.target.task,
  );
  return compare({
    id: `dir-fetch-${spec.name}`,
    title: `fetch ${spec.name} (directory store)`,
    set: spec.name,
    runs: ctx.args.runs,
    profileDir: ctx.profileDir,
    candidate: downloadSide(
      ctx,
      "neff-cache fetch",
      (r) => `dir-${spec.name}-neff-${r}`,
      expected,
      async (dir) => [neffFetch(ctx.target, store.url, dir, neffCacheEnv(ctx.s3))],
    ),
    reference: downloadSide(
      ctx,
      "cp -r",
      (r) => `dir-${spec.name}-cp-${r}`,
      expected,
      async (dir) => [{ file: "cp", args: ["-r", tree, versionDir(ctx, dir)] }],
    ),
  });
}
