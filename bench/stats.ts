/**
 * Summaries of timing samples. Pure: no I/O.
 */

/** A set of samples of one quantity, with its median. */
export interface Samples {
  /** Every run, in the order it ran. */
  runs: number[];
  median: number;
  min: number;
  max: number;
}

/** The middle value (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

export function summarize(runs: readonly number[]): Samples {
  return { runs: [...runs], median: median(runs), min: Math.min(...runs), max: Math.max(...runs) };
}

/** candidate / reference, rounded to 2 decimals: below 1.0 means the candidate is faster. */
export function ratio(candidate: number, reference: number): number {
  return Math.round((candidate / reference) * 100) / 100;
}
