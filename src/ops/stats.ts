/**
 * stats: what the cache did on this machine, from the local stats journal (see
 * `local/stats-journal.ts`): hits and misses, entries and bytes moved, compile time spent and
 * saved, per command and in all.
 */
import type { StatsSummary } from "../layout/summarize-stats.ts";
import { summarizeStats } from "../layout/summarize-stats.ts";
import { readStatsJournal } from "../local/stats-journal.ts";

export interface StatsOptions {
  /** The journal file (`statsJournalPath(env)`). */
  journal: string;
  /** Count only records from the last this many milliseconds; every record when omitted. */
  sinceMs?: number;
  /** Injectable clock. */
  now?: () => Date;
}

export interface StatsResult {
  journal: string;
  summary: StatsSummary;
  /** Journal lines that were not records (a damaged or foreign line), skipped. */
  skippedLines: number;
  /** One message per skipped line, at most a few, for the warning. */
  skippedExamples: string[];
}

/** Lines named in the warning; the count covers the rest. */
const MAX_SKIPPED_EXAMPLES = 3;

export async function stats(options: StatsOptions): Promise<StatsResult> {
  const now = (options.now ?? (() => new Date()))();
  const read = await readStatsJournal(options.journal);
  const since = options.sinceMs === undefined ? null : new Date(now.getTime() - options.sinceMs);
  return {
    journal: options.journal,
    summary: summarizeStats(read.records, since),
    skippedLines: read.skipped.length,
    skippedExamples: read.skipped
      .slice(0, MAX_SKIPPED_EXAMPLES)
      .map((skip) => `${skip.file}:${skip.line}: ${skip.reason}`),
  };
}
