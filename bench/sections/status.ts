/**
 * status on 100,000 entries against `du -s`: measured by `bench/status-bench.ts`, which owns that
 * benchmark; this runs it and reads what it wrote.
 */
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchContext } from "../context.ts";
import { runCommand } from "../measure.ts";
import type { StatusResult } from "../results.ts";
import { summarize } from "../stats.ts";
import { STATUS_ENTRIES } from "../targets.ts";

export type StatusOutcome = { result: StatusResult } | { skipped: string };

/** The parts of `bench/results/status.json` this reads. */
interface StatusBenchReport {
  entries: number;
  samplesMs: { cliStatusJson: number[]; duS: number[] };
}

/** The status benchmark takes at least this many runs. */
const STATUS_MIN_RUNS = 3;

export async function statusResult(ctx: BenchContext): Promise<StatusOutcome> {
  const script = join(ctx.root, "bench", "status-bench.ts");
  try {
    await access(script);
  } catch {
    return { skipped: "bench/status-bench.ts is not in this checkout" };
  }
  process.stderr.write("status (bench/status-bench.ts)\n");
  const entries = ctx.args.quick ? STATUS_ENTRIES / 100 : STATUS_ENTRIES;
  const runs = Math.max(STATUS_MIN_RUNS, ctx.args.runs);
  const { stdout } = await runCommand({
    file: process.execPath,
    args: ["--import", "tsx", script, "--entries", String(entries), "--runs", String(runs)],
    cwd: ctx.root,
  });
  process.stderr.write(`  ${stdout.trim()}\n`);
  const report = JSON.parse(
    await readFile(join(ctx.root, "bench", "results", "status.json"), "utf8"),
  ) as StatusBenchReport;
  return {
    result: {
      entries: report.entries,
      ms: summarize(report.samplesMs.cliStatusJson),
      reference: { label: "du -s", ms: summarize(report.samplesMs.duS) },
    },
  };
}
