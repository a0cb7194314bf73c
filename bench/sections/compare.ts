/**
 * Turns two alternated sides into a comparison, with optional request counts.
 */
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CountingProxy, InFlight, RequestCounts } from "../counting-proxy.ts";
import { alternate, measureUsage, timeCommands } from "../measure.ts";
import type { Side } from "../measure.ts";
import type { Comparison } from "../results.ts";
import { ratio } from "../stats.ts";
import { summarizeCpuProfile } from "../summarize-cpu-profile.ts";
import type { CpuProfile } from "../summarize-cpu-profile.ts";

export interface CompareOptions {
  id: string;
  title: string;
  set?: string;
  judgedBy?: Comparison["judgedBy"];
  candidate: Side;
  reference: Side;
  runs: number;
  /** Each side runs once more, untimed, for its CPU time; through this proxy, when given, to count requests. */
  proxy?: CountingProxy;
  /** When given, the candidate runs once more under `--cpu-prof`, writing its profile here. */
  profileDir?: string;
}

/** Runs the candidate once under the V8 profiler; returns the largest profile written. */
async function profileCandidate(side: Side, run: number, dir: string): Promise<Comparison["profile"]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // Node refuses --cpu-prof in NODE_OPTIONS: it goes before the script instead.
  const commands = (await side.prepare(run)).map((command) =>
    command.file === process.execPath
      ? { ...command, args: ["--cpu-prof", "--cpu-prof-dir", dir, ...command.args] }
      : command,
  );
  const timed = await timeCommands(commands);
  await side.verify?.(run, timed);
  await side.cleanup?.(run);
  let largest: { file: string; size: number } | null = null;
  for (const name of await readdir(dir)) {
    if (!name.endsWith(".cpuprofile")) continue;
    const file = join(dir, name);
    const { size } = await stat(file);
    if (!largest || size > largest.size) largest = { file, size };
  }
  if (!largest) return undefined;
  const summary = summarizeCpuProfile(JSON.parse(await readFile(largest.file, "utf8")) as CpuProfile);
  process.stderr.write(`  profile ${largest.file}: ${summary.busyMs} ms busy of ${summary.wallMs} ms\n`);
  for (const spot of summary.bySelf.slice(0, 8)) {
    process.stderr.write(`    self ${spot.selfMs.toFixed(1).padStart(8)} ms  ${spot.frame}\n`);
  }
  return { file: largest.file, ...summary };
}

/** One more run of a side (through the proxy when there is one): requests, CPU time, peak memory. */
async function measureExtraRun(
  proxy: CountingProxy | undefined,
  side: Side,
  run: number,
): Promise<{
  requests?: RequestCounts;
  inFlight?: InFlight;
  usage: { cpuMs: number; peakRssBytes: number };
}> {
  const commands = await side.prepare(run, proxy?.url);
  proxy?.reset();
  const usage = await measureUsage(commands);
  const requests = proxy?.counts();
  const inFlight = proxy?.inFlight();
  await side.verify?.(run, { ms: usage.ms, results: [] });
  await side.cleanup?.(run);
  return {
    ...(requests ? { requests } : {}),
    ...(inFlight && requests && requests.total > 0 ? { inFlight } : {}),
    usage: { cpuMs: Math.round(usage.cpuMs), peakRssBytes: usage.peakRssBytes },
  };
}

export async function compare(options: CompareOptions): Promise<Comparison> {
  process.stderr.write(`${options.title}\n`);
  const [candidate, reference] = await alternate(
    options.title,
    [options.candidate, options.reference],
    options.runs,
  );
  if (!candidate || !reference) throw new Error("a comparison needs two sides");
  const result: Comparison = {
    id: options.id,
    title: options.title,
    ...(options.set ? { set: options.set } : {}),
    judgedBy: options.judgedBy ?? "ratio",
    candidate: { label: candidate.label, ms: candidate.ms },
    reference: { label: reference.label, ms: reference.ms },
    ratio: ratio(candidate.ms.median, reference.ms.median),
    differenceMs: candidate.ms.median - reference.ms.median,
  };
  // A run index past the timed ones, so fresh directories and prefixes never collide.
  const extra = options.runs;
  Object.assign(result.candidate, await measureExtraRun(options.proxy, options.candidate, extra));
  Object.assign(result.reference, await measureExtraRun(options.proxy, options.reference, extra));
  if (options.profileDir) {
    const profile = await profileCandidate(
      options.candidate,
      options.runs + 1,
      join(options.profileDir, options.id),
    );
    if (profile) result.profile = profile;
  }
  const verdict =
    result.judgedBy === "ratio" ? `${result.ratio.toFixed(2)}×` : `+${result.differenceMs.toFixed(0)} ms`;
  process.stderr.write(
    `  → median ${candidate.ms.median.toFixed(0)} ms vs ${reference.ms.median.toFixed(0)} ms: ${verdict}\n`,
  );
  return result;
}
