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
import { neffCacheEnv, neffExecTrue, neffFetch, neffSync } from "../neff-cache.ts";
import type { Comparison } from "../results.ts";
import type { SetSpec } from "../sets.ts";
import { assertTreeHolds, measureTree } from "../tree.ts";
import { compare } from "./compare.ts";
import { bucketUrl } from "./hf.ts";
import type { BenchHub } from "./hf.ts";
import { join } from "node:path";

export type ExecStoreKind = "s3" | "dir" | "hf";

const STORE_NAMES: Record<ExecStoreKind, string> = { s3: "S3", dir: "directory", hf: "hf bucket" };

/** `hub` is the local Hub of the hf store (required for `kind` "hf"). */
export async function warmExecComparison(
  ctx: BenchContext,
  proxy: CountingProxy,
  spec: SetSpec,
  kind: ExecStoreKind,
  hub?: BenchHub,
): Promise<Comparison> {
  const local = await ctx.localSet(spec);
  if (kind === "hf" && hub === undefined) throw new Error("warm exec on an hf store needs the local Hub");
  // The hf store is seeded here (not cached in the context: one Hub serves only this section).
  const envAt = (endpoint?: string): NodeJS.ProcessEnv =>
    kind === "hf" && hub ? hub.env(endpoint) : neffCacheEnv(ctx.s3, endpoint);
  let storeUrl: string;
  if (kind === "hf") {
    storeUrl = bucketUrl(`${ctx.runPrefix}/exec-${spec.name}`);
    await runCommand(neffSync(ctx.target, storeUrl, local.dir, envAt()));
  } else storeUrl = kind === "s3" ? (await ctx.seededS3(spec)).url : (await ctx.seededDir(spec)).url;
  const counting = kind === "hf" ? hub?.proxy : kind === "s3" ? proxy : undefined;
  const cache = await ctx.freshDir(`exec-cache-${kind}-${spec.name}`);
  const versionDir = join(cache, `neuronxcc-${ctx.target.compilerVersion}`);
  const expected = { files: local.files, bytes: local.bytes };
  await runCommand(neffFetch(ctx.target, storeUrl, cache, envAt()));
  assertTreeHolds("warm cache before exec", await measureTree(versionDir), expected);
  // The S3 run on the model set keeps the historical id, so earlier results stay comparable.
  const id = kind === "s3" && spec.name === "model" ? "exec-warm" : `exec-warm-${kind}-${spec.name}`;
  return compare({
    id,
    title: `warm exec (${STORE_NAMES[kind]} store, ${spec.name}, nothing to fetch or publish)`,
    judgedBy: "overhead",
    runs: ctx.args.execRuns,
    profileDir: ctx.profileDir,
    ...(counting ? { proxy: counting } : {}),
    candidate: {
      label: "neff-cache exec -- true",
      prepare: async (_run, endpoint) => [neffExecTrue(ctx.target, storeUrl, cache, envAt(endpoint))],
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
