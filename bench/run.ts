/**
 * The benchmark runner (`npm run bench`): neff-cache's CLI side by side with rclone and with the
 * physical limit (`cp -r`, a bare `true`, `du -s`), alternating runs, then a table on stdout and
 * results in `bench/results/latest.{json,md}`. Expects the variables of `scripts/start-ceph.sh`.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_USAGE, parseBenchArgs } from "./args.ts";
import type { SectionName } from "./args.ts";
import { createBenchContext } from "./context.ts";
import { createCountingProxy } from "./counting-proxy.ts";
import { describeMachine, loadAverageNow } from "./machine.ts";
import { NEFF_CACHE_CONCURRENCY } from "./neff-cache.ts";
import { renderMarkdown, renderText } from "./report.ts";
import type { BenchResults, Comparison, MemoryResult, SetDescription, StatusResult } from "./results.ts";
import { createS3Admin } from "./s3-admin.ts";
import { s3EndpointFromEnv } from "./s3-endpoint.ts";
import { warmExecComparison } from "./sections/exec.ts";
import { memoryResults } from "./sections/memory.ts";
import { statusResult } from "./sections/status.ts";
import { hfComparisons, startBenchHub } from "./sections/hf.ts";
import { dirFetchComparison, fetchComparison, syncComparison } from "./sections/transfer.ts";
import { MANY_SMALL_SET, MODEL_SET } from "./sets.ts";
import { judgeTargets } from "./targets.ts";

const BUCKET = "neff-bench";
const COMPILER_VERSION = "2.21.33363.0+82129205";
const MODEL_ID = "bench-org/bench-model";
const TASK = "text-generation";

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const args = parseBenchArgs(process.argv.slice(2), join(root, "bench", "results"));
  if (args.help) {
    console.log(BENCH_USAGE);
    return;
  }
  const loadAtStart = loadAverageNow();
  const s3 = s3EndpointFromEnv(process.env);
  const cephConf = process.env.NEFF_BENCH_CEPH_CONF;
  const admin = createS3Admin({ s3, ...(cephConf ? { cephConf } : {}) });
  await admin.ensureBucket(BUCKET);
  const work = await mkdtemp(join(tmpdir(), "neff-bench-"));
  const runPrefix = `run-${new Date().toISOString().replace(/[-:.TZ]/g, "")}-${process.pid}`;
  const proxy = await createCountingProxy(s3.url);
  const ctx = createBenchContext({
    root,
    args,
    work,
    s3,
    admin,
    bucket: BUCKET,
    runPrefix,
    target: { root, compilerVersion: COMPILER_VERSION, modelId: MODEL_ID, task: TASK },
    concurrency: NEFF_CACHE_CONCURRENCY,
    profileDir: args.profile ? join(args.outDir, "profiles.tmp") : undefined,
  });

  const comparisons: Comparison[] = [];
  let memory: MemoryResult[] = [];
  let status: StatusResult | null = null;
  const skipped: { section: string; reason: string }[] = [];
  const wants = (section: SectionName): boolean => args.sections.includes(section);
  try {
    for (const spec of [MODEL_SET, MANY_SMALL_SET]) {
      if (wants("fetch")) comparisons.push(await fetchComparison(ctx, spec, proxy));
      if (wants("sync")) comparisons.push(await syncComparison(ctx, spec, proxy));
      if (wants("dir")) comparisons.push(await dirFetchComparison(ctx, spec));
    }
    if (wants("exec")) {
      const hub = await startBenchHub(ctx, "exec-hub-data");
      try {
        for (const spec of [MODEL_SET, MANY_SMALL_SET]) {
          for (const kind of ["s3", "dir", "hf"] as const) {
            comparisons.push(await warmExecComparison(ctx, proxy, spec, kind, hub));
          }
        }
      } finally {
        await hub.close();
      }
    }
    if (wants("status")) {
      const outcome = await statusResult(ctx);
      if ("result" in outcome) status = outcome.result;
      else skipped.push({ section: "status", reason: outcome.skipped });
    }
    if (wants("memory")) memory = await memoryResults(ctx);
    if (wants("hf")) {
      const outcome = await hfComparisons(ctx, MODEL_SET);
      if ("comparisons" in outcome) comparisons.push(...outcome.comparisons);
      else skipped.push({ section: "hf", reason: outcome.skipped });
    }
  } finally {
    await proxy.close();
    await admin.deletePrefix(BUCKET, runPrefix).catch(() => undefined);
    admin.close();
    await rm(work, { recursive: true, force: true });
  }

  const sets: SetDescription[] = ctx.writtenSets().map(({ name, entries, files, bytes }) => ({
    name,
    entries,
    files,
    bytes,
  }));
  const partial: Omit<BenchResults, "targets"> = {
    date: new Date().toISOString(),
    quick: args.quick,
    runs: args.runs,
    execRuns: args.execRuns,
    concurrency: NEFF_CACHE_CONCURRENCY,
    machine: await describeMachine(root, loadAtStart),
    sets,
    comparisons,
    memory,
    status,
    skipped,
  };
  const results: BenchResults = { ...partial, targets: judgeTargets(partial) };
  await mkdir(args.outDir, { recursive: true });
  await writeFile(join(args.outDir, "latest.json"), JSON.stringify(results, null, 2) + "\n");
  await writeFile(join(args.outDir, "latest.md"), renderMarkdown(results));
  process.stdout.write(renderText(results));
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
