/**
 * Turns two alternated sides into a comparison, with optional request counts.
 */
import type { CountingProxy, RequestCounts } from "../counting-proxy.ts";
import { alternate, timeCommands } from "../measure.ts";
import type { Side } from "../measure.ts";
import type { Comparison } from "../results.ts";
import { ratio } from "../stats.ts";

export interface CompareOptions {
  id: string;
  title: string;
  set?: string;
  candidate: Side;
  reference: Side;
  runs: number;
  /** When given, each side runs once more through this proxy, untimed, to count its requests. */
  proxy?: CountingProxy;
}

async function countRequests(proxy: CountingProxy, side: Side, run: number): Promise<RequestCounts> {
  const commands = await side.prepare(run, proxy.url);
  proxy.reset();
  const timed = await timeCommands(commands);
  const counts = proxy.counts();
  await side.verify?.(run, timed);
  await side.cleanup?.(run);
  return counts;
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
    candidate: { label: candidate.label, ms: candidate.ms },
    reference: { label: reference.label, ms: reference.ms },
    ratio: ratio(candidate.ms.median, reference.ms.median),
    differenceMs: candidate.ms.median - reference.ms.median,
  };
  if (options.proxy) {
    // A run index past the timed ones, so fresh directories and prefixes never collide.
    const run = options.runs;
    result.candidate.requests = await countRequests(options.proxy, options.candidate, run);
    result.reference.requests = await countRequests(options.proxy, options.reference, run);
  }
  process.stderr.write(
    `  → median ${candidate.ms.median.toFixed(0)} ms vs ${reference.ms.median.toFixed(0)} ms: ${result.ratio.toFixed(2)}×\n`,
  );
  return result;
}
