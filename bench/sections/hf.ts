/**
 * Hugging Face buckets against the reference CLI, on the same local Hub (tools/hub-server in its
 * own process, xorbs on disk): `neff-cache sync` to both areas against `hf buckets sync` to the
 * same two prefixes, `neff-cache fetch` against `hf buckets sync` down, and Xet chunking plus
 * hashing of one file against `hf_xet.hash_files`. Needs the Python venv of
 * scripts/ensure-python.sh (NEFF_TEST_PYTHON).
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import { startHubProcess } from "../../test/support/hub-process.ts";
import type { HubProcess } from "../../test/support/hub-process.ts";
import type { S3RequestKind } from "../classify-s3-request.ts";
import type { BenchContext } from "../context.ts";
import { createCountingProxy } from "../counting-proxy.ts";
import type { CountingProxy } from "../counting-proxy.ts";
import type { Command, Side } from "../measure.ts";
import { flatPrefix, neffFetch, neffSync, perModelPrefix } from "../neff-cache.ts";
import type { Comparison } from "../results.ts";
import type { SetSpec } from "../sets.ts";
import { ratio, summarize } from "../stats.ts";
import { assertTreeHolds, measureTree } from "../tree.ts";
import type { TreeSize } from "../tree.ts";
import { compare } from "./compare.ts";

const run = promisify(execFile);
const TOKEN = "hf_bench_write_token_0001";
const NAMESPACE = "bench";
const BUCKET = "neff";
/** Size of the file chunked and hashed by both sides. */
const HASH_FILE_BYTES = 256 * 1024 * 1024;

/** A local Hub in its own process with the bench bucket created, and a request-counting proxy to it. */
export interface BenchHub {
  hub: HubProcess;
  /** Counts Hub requests by kind (`list` is a tree listing). */
  proxy: CountingProxy;
  /** The environment of a client of this Hub, reached at `endpoint` (the Hub itself by default). */
  env(endpoint?: string): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** Starts the local Hub for one bench section. */
export async function startBenchHub(ctx: BenchContext, name: string): Promise<BenchHub> {
  const hub = await startHubProcess({ tokens: [TOKEN], dataDir: await ctx.freshDir(name) });
  try {
    const created = await fetch(`${hub.url}/api/buckets/${NAMESPACE}/${BUCKET}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: "{}",
    });
    if (!created.ok) throw new Error(`the local Hub refused to create the bench bucket: ${created.status}`);
    const proxy = await createCountingProxy(hub.url, classifyHubRequest);
    return {
      hub,
      proxy,
      env: (endpoint) => hfEnv(endpoint ?? hub.url),
      async close() {
        await proxy.close();
        await hub.close();
      },
    };
  } catch (error) {
    await hub.close();
    throw error;
  }
}

/** `hf://buckets/<bench bucket>/<prefix>`. */
export const bucketUrl = (prefix: string): string => `hf://buckets/${NAMESPACE}/${BUCKET}/${prefix}`;

/** Hub requests as the counting proxy names them: a tree page is a listing, a resolve a get. */
export function classifyHubRequest(method: string, url: string): S3RequestKind {
  const path = new URL(url, "http://proxy.invalid").pathname;
  if (/^\/api\/buckets\/[^/]+\/[^/]+\/tree(\/|$)/.test(path)) return "list";
  if (/^\/buckets\/[^/]+\/[^/]+\/resolve\//.test(path)) return method === "HEAD" ? "head" : "get";
  return "other";
}

/** The hf comparisons, or the reason they cannot run. */
export async function hfComparisons(
  ctx: BenchContext,
  spec: SetSpec,
): Promise<{ comparisons: Comparison[] } | { skipped: string }> {
  const python = process.env.NEFF_TEST_PYTHON;
  if (!python) return { skipped: "NEFF_TEST_PYTHON is not set: run it through `npm run bench`" };
  const { hub, close } = await startBenchHub(ctx, "hub-data");
  try {
    const hf = join(python, "..", "hf");
    return {
      comparisons: [
        await syncComparison(ctx, spec, hub, hf),
        await fetchComparison(ctx, spec, hub, hf),
        await hashComparison(ctx, python),
      ],
    };
  } finally {
    await close();
  }
}

// --- internal ---

function hfEnv(endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HF_TOKEN: TOKEN, HF_ENDPOINT: endpoint };
  delete env.NEURON_CC_FLAGS;
  delete env.NEURON_COMPILE_CACHE_URL;
  // Both clients without progress bars, neither phoning home.
  env.HF_HUB_DISABLE_PROGRESS_BARS = "1";
  env.HF_HUB_DISABLE_TELEMETRY = "1";
  return env;
}

async function measurePrefix(hub: HubProcess, prefix: string): Promise<TreeSize> {
  const store = createHfStore({
    namespace: NAMESPACE,
    name: BUCKET,
    prefix: "",
    env: { HF_TOKEN: TOKEN, HF_ENDPOINT: hub.url },
  });
  let files = 0;
  let bytes = 0;
  for await (const item of store.list(prefix)) {
    if (item.type !== "file") continue;
    files += 1;
    bytes += item.size;
  }
  return { files, bytes };
}

async function syncComparison(
  ctx: BenchContext,
  spec: SetSpec,
  hub: HubProcess,
  hf: string,
): Promise<Comparison> {
  const local = await ctx.localSet(spec);
  const expected = { files: local.files, bytes: local.bytes };
  const versionDir = join(local.dir, `neuronxcc-${ctx.target.compilerVersion}`);
  const env = hfEnv(hub.url);
  const side = (label: string, commands: (prefix: string) => Command[]): Side => {
    const tag = label.split(" ")[0] as string;
    const prefixOf = (n: number): string => `${ctx.runPrefix}/sync-${spec.name}-${tag}-${n}`;
    return {
      label,
      prepare: async (n) => commands(prefixOf(n)),
      async verify(n) {
        const prefix = prefixOf(n);
        const perModel = await measurePrefix(hub, perModelPrefix(ctx.target, prefix));
        const flat = await measurePrefix(hub, flatPrefix(ctx.target, prefix));
        assertTreeHolds(`${label} run ${n + 1}, per-model area`, perModel, expected);
        assertTreeHolds(
          `${label} run ${n + 1}, flat area`,
          { files: flat.files - perModel.files, bytes: flat.bytes - perModel.bytes },
          expected,
        );
      },
    };
  };
  return compare({
    id: `hf-sync-${spec.name}`,
    title: `sync ${spec.name} (hf bucket, both areas)`,
    set: spec.name,
    runs: ctx.args.runs,
    profileDir: ctx.profileDir,
    candidate: side("neff-cache sync", (prefix) => [neffSync(ctx.target, bucketUrl(prefix), local.dir, env)]),
    reference: side("hf buckets sync ×2", (prefix) => [
      { file: hf, args: ["buckets", "sync", versionDir, bucketUrl(perModelPrefix(ctx.target, prefix))], env },
      { file: hf, args: ["buckets", "sync", versionDir, bucketUrl(flatPrefix(ctx.target, prefix))], env },
    ]),
  });
}

async function fetchComparison(
  ctx: BenchContext,
  spec: SetSpec,
  hub: HubProcess,
  hf: string,
): Promise<Comparison> {
  const local = await ctx.localSet(spec);
  const expected = { files: local.files, bytes: local.bytes };
  const env = hfEnv(hub.url);
  const seeded = `${ctx.runPrefix}/fetch-${spec.name}`;
  await run(process.execPath, neffSync(ctx.target, bucketUrl(seeded), local.dir, env).args, {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const side = (label: string, commands: (versionDir: string, cacheDir: string) => Command[]): Side => {
    const dirs = new Map<number, string>();
    const tag = label.split(" ")[0] as string;
    return {
      label,
      async prepare(n) {
        const dir = await ctx.freshDir(`hf-fetch-${spec.name}-${tag}-${n}`);
        dirs.set(n, dir);
        return commands(join(dir, `neuronxcc-${ctx.target.compilerVersion}`), dir);
      },
      async verify(n) {
        const dir = dirs.get(n) as string;
        const tree = await measureTree(join(dir, `neuronxcc-${ctx.target.compilerVersion}`));
        assertTreeHolds(`${label} run ${n + 1}`, tree, expected);
      },
    };
  };
  return compare({
    id: `hf-fetch-${spec.name}`,
    title: `fetch ${spec.name} (hf bucket)`,
    set: spec.name,
    runs: ctx.args.runs,
    profileDir: ctx.profileDir,
    candidate: side("neff-cache fetch", (_, dir) => [neffFetch(ctx.target, bucketUrl(seeded), dir, env)]),
    reference: side("hf buckets sync", (versionDir) => [
      { file: hf, args: ["buckets", "sync", bucketUrl(perModelPrefix(ctx.target, seeded)), versionDir], env },
    ]),
  });
}

/** Milliseconds each side spends chunking and hashing one random file, startup excluded. */
async function hashComparison(ctx: BenchContext, python: string): Promise<Comparison> {
  const file = join(await ctx.freshDir("xet-hash"), "random.bin");
  const { randomBytes } = await import("node:crypto");
  const piece = 16 * 1024 * 1024;
  const parts: Buffer[] = [];
  for (let at = 0; at < HASH_FILE_BYTES; at += piece) parts.push(randomBytes(piece));
  await writeFile(file, Buffer.concat(parts));
  const tsx = join(ctx.target.root, "node_modules", ".bin", "tsx");
  const ours = join(ctx.target.root, "bench", "xet", "hash-file-neff.ts");
  const theirs = [
    "import sys, time, hf_xet",
    "started = time.perf_counter()",
    "[info] = hf_xet.hash_files([sys.argv[1]])",
    "print(f'{(time.perf_counter() - started) * 1000:.1f} {info.hash}')",
  ].join("\n");
  process.stderr.write(`Xet chunking + hashing of ${HASH_FILE_BYTES / 2 ** 20} MiB\n`);
  const neffMs: number[] = [];
  const refMs: number[] = [];
  for (let n = 0; n < ctx.args.runs; n++) {
    const a = (await run(tsx, [ours, file])).stdout.trim().split(" ");
    const b = (await run(python, ["-c", theirs, file])).stdout.trim().split(" ");
    if (a[1] !== b[1])
      throw new Error(`Xet hashes differ on the bench file: neff-cache ${a[1]}, hf_xet ${b[1]}`);
    neffMs.push(Number(a[0]));
    refMs.push(Number(b[0]));
  }
  const candidate = summarize(neffMs);
  const reference = summarize(refMs);
  const mbps = (ms: number): string => `${(HASH_FILE_BYTES / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  process.stderr.write(`  → neff-cache ${mbps(candidate.median)}, hf_xet ${mbps(reference.median)}\n`);
  return {
    id: "xet-hash",
    title: `Xet chunk + hash ${HASH_FILE_BYTES / 2 ** 20} MiB (neff-cache ${mbps(candidate.median)}, hf_xet ${mbps(reference.median)})`,
    judgedBy: "ratio",
    candidate: { label: "neff-cache (1 thread)", ms: candidate },
    reference: { label: "hf_xet.hash_files", ms: reference },
    ratio: ratio(candidate.median, reference.median),
    differenceMs: candidate.median - reference.median,
  };
}
