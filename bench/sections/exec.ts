/**
 * Warm exec: `neff-cache exec … -- true` with every entry already local and nothing new to
 * publish, against a bare `true`. Both are spawned the same way, so the difference is what
 * neff-cache adds to a compile command.
 */
import type { BenchContext } from "../context.ts";
import type { CountingProxy } from "../counting-proxy.ts";
import { runCommand } from "../measure.ts";
import { neffCacheEnv, neffExecTrue, neffFetch } from "../neff-cache.ts";
import type { Comparison } from "../results.ts";
import { MODEL_SET } from "../sets.ts";
import { assertTreeHolds, measureTree } from "../tree.ts";
import { compare } from "./compare.ts";
import { join } from "node:path";

export async function warmExecComparison(ctx: BenchContext, proxy: CountingProxy): Promise<Comparison> {
  const local = await ctx.localSet(MODEL_SET);
  const seeded = await ctx.seededS3(MODEL_SET);
  const cache = await ctx.freshDir("exec-cache");
  const versionDir = join(cache, `neuronxcc-${ctx.target.compilerVersion}`);
  const expected = { files: local.files, bytes: local.bytes };
  await runCommand(neffFetch(ctx.target, seeded.url, cache, neffCacheEnv(ctx.s3)));
  assertTreeHolds("warm cache before exec", await measureTree(versionDir), expected);
  return compare({
    id: "exec-warm",
    title: `warm exec (${MODEL_SET.name}, nothing to fetch or publish)`,
    judgedBy: "overhead",
    runs: ctx.args.execRuns,
    profileDir: ctx.profileDir,
    proxy,
    candidate: {
      label: "neff-cache exec -- true",
      prepare: async (_run, endpoint) => [
        neffExecTrue(ctx.target, seeded.url, cache, neffCacheEnv(ctx.s3, endpoint)),
      ],
      async verify(run) {
        assertTreeHolds(`warm exec run ${run + 1}`, await measureTree(versionDir), expected);
      },
    },
    reference: { label: "true", prepare: async () => [{ file: "true", args: [] }] },
  });
}
