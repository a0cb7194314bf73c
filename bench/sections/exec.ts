/**
 * Warm exec: `neff-cache exec … -- true` with every entry already local and nothing new to
 * publish, against `node -e 0` (issue 11's bar: Node's own start-up is the floor). Both are
 * spawned the same way, so the difference is what neff-cache adds to a compile command. One
 * comparison per store kind and per model shape (few large entries, many small ones), since the
 * listing and the local check scale with the number of entries.
 */
import type { BenchContext } from "../context.ts";
import type { CountingProxy } from "../counting-proxy.ts";
import { runCommand } from "../measure.ts";
import { neffCacheEnv, neffExecTrue, neffFetch } from "../neff-cache.ts";
import type { Comparison } from "../results.ts";
import type { SetSpec } from "../sets.ts";
import { assertTreeHolds, measureTree } from "../tree.ts";
import { compare } from "./compare.ts";
import { join } from "node:path";

export type ExecStoreKind = "s3" | "dir";

export async function warmExecComparison(
  ctx: BenchContext,
  proxy: CountingProxy,
  spec: SetSpec,
  kind: ExecStoreKind,
): Promise<Comparison> {
  const local = await ctx.localSet(spec);
  const storeUrl = kind === "s3" ? (await ctx.seededS3(spec)).url : (await ctx.seededDir(spec)).url;
  const cache = await ctx.freshDir(`exec-cache-${kind}-${spec.name}`);
  const versionDir = join(cache, `neuronxcc-${ctx.target.compilerVersion}`);
  const expected = { files: local.files, bytes: local.bytes };
  await runCommand(neffFetch(ctx.target, storeUrl, cache, neffCacheEnv(ctx.s3)));
  assertTreeHolds("warm cache before exec", await measureTree(versionDir), expected);
  // The S3 run on the model set keeps the historical id, so earlier results stay comparable.
  const id = kind === "s3" && spec.name === "model" ? "exec-warm" : `exec-warm-${kind}-${spec.name}`;
  return compare({
    id,
    title: `warm exec (${kind === "s3" ? "S3" : "directory"} store, ${spec.name}, nothing to fetch or publish)`,
    judgedBy: "overhead",
    runs: ctx.args.execRuns,
    profileDir: ctx.profileDir,
    ...(kind === "s3" ? { proxy } : {}),
    candidate: {
      label: "neff-cache exec -- true",
      prepare: async (_run, endpoint) => [
        neffExecTrue(ctx.target, storeUrl, cache, neffCacheEnv(ctx.s3, endpoint)),
      ],
      async verify(run) {
        assertTreeHolds(`warm exec run ${run + 1}`, await measureTree(versionDir), expected);
      },
    },
    reference: {
      label: "node -e 0",
      prepare: async () => [{ file: process.execPath, args: ["-e", "0"] }],
    },
  });
}
