/**
 * Peak resident memory while moving one very large entry: transfers must stream, so the peak
 * stays flat however big the file is. rclone's peak is recorded beside it for scale.
 */
import { join } from "node:path";
import type { BenchContext } from "../context.ts";
import { measurePeakRss } from "../measure.ts";
import { neffCacheEnv, neffFetch, neffSync, perModelPrefix } from "../neff-cache.ts";
import { RCLONE_REMOTE, rcloneCopy, rcloneEnv } from "../rclone.ts";
import type { MemoryResult } from "../results.ts";
import { HUGE_ENTRY_SET } from "../sets.ts";
import { assertTreeHolds, measureTree } from "../tree.ts";

export async function memoryResults(ctx: BenchContext): Promise<MemoryResult[]> {
  process.stderr.write("peak RSS of one huge entry\n");
  const local = await ctx.localSet(HUGE_ENTRY_SET);
  const expected = { files: local.files, bytes: local.bytes };
  const entryBytes = local.bytes;
  const results: MemoryResult[] = [];
  const record = (label: string, measured: { bytes: number; ms: number }): void => {
    results.push({ label, peakRssBytes: measured.bytes, ms: measured.ms, entryBytes });
    process.stderr.write(
      `  ${label}: ${(measured.bytes / 1e6).toFixed(0)} MB peak, ${measured.ms.toFixed(0)} ms\n`,
    );
  };
  const prefix = `${ctx.runPrefix}/memory`;
  const url = `s3://${ctx.bucket}/${prefix}`;
  const versionDir = (root: string): string => join(root, `neuronxcc-${ctx.target.compilerVersion}`);

  record("neff-cache sync", await measurePeakRss(neffSync(ctx.target, url, local.dir, neffCacheEnv(ctx.s3))));
  assertTreeHolds(
    "memory sync",
    await ctx.admin.measurePrefix(ctx.bucket, perModelPrefix(ctx.target, prefix)),
    expected,
  );

  const fetched = await ctx.freshDir("memory-fetch");
  record("neff-cache fetch", await measurePeakRss(neffFetch(ctx.target, url, fetched, neffCacheEnv(ctx.s3))));
  assertTreeHolds("memory fetch", await measureTree(versionDir(fetched)), expected);

  const env = rcloneEnv(ctx.s3);
  const rcloneDir = await ctx.freshDir("memory-rclone");
  const remote = `${RCLONE_REMOTE}:${ctx.bucket}/${perModelPrefix(ctx.target, prefix)}`;
  record(
    "rclone copy (download)",
    await measurePeakRss(
      rcloneCopy({ from: remote, to: versionDir(rcloneDir), concurrency: ctx.concurrency.fetch, env }),
    ),
  );
  const rclonePrefix = `${ctx.runPrefix}/memory-rclone`;
  record(
    "rclone copy (upload)",
    await measurePeakRss(
      rcloneCopy({
        from: versionDir(local.dir),
        to: `${RCLONE_REMOTE}:${ctx.bucket}/${rclonePrefix}`,
        concurrency: ctx.concurrency.sync,
        env,
      }),
    ),
  );
  await ctx.admin.deletePrefix(ctx.bucket, prefix);
  await ctx.admin.deletePrefix(ctx.bucket, rclonePrefix);
  return results;
}
