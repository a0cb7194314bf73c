/**
 * Adds journal records up: per command and in all, over a time window. Pure.
 */
import type { StatsCommand, StatsRecord } from "./stats-record.ts";
import { STATS_COMMANDS } from "./stats-record.ts";

/** Sums over a set of records. */
export interface StatsTotals {
  runs: number;
  hits: number;
  misses: number;
  entriesFetched: number;
  bytesFetched: number;
  entriesPublished: number;
  bytesPublished: number;
  failed: number;
  compileSeconds: number;
  savedSeconds: number;
  savedUnknown: number;
}

/** What `stats` reports. */
export interface StatsSummary {
  /** Start of the window (ISO-8601), or null for the whole journal. */
  since: string | null;
  /** Oldest and newest record counted, or null when none. */
  first: string | null;
  last: string | null;
  /** hits / (hits + misses), or null when both are 0. */
  hitRate: number | null;
  total: StatsTotals;
  byCommand: Record<StatsCommand, StatsTotals>;
}

/** Totals of the records at or after `since` (every record when null). */
export function summarizeStats(records: Iterable<StatsRecord>, since: Date | null): StatsSummary {
  const total = emptyTotals();
  const byCommand = Object.fromEntries(STATS_COMMANDS.map((command) => [command, emptyTotals()])) as Record<
    StatsCommand,
    StatsTotals
  >;
  let first: number | null = null;
  let last: number | null = null;
  const from = since === null ? -Infinity : since.getTime();
  for (const record of records) {
    const at = Date.parse(record.at);
    if (at < from) continue;
    first = first === null ? at : Math.min(first, at);
    last = last === null ? at : Math.max(last, at);
    add(total, record);
    add(byCommand[record.command], record);
  }
  const asked = total.hits + total.misses;
  return {
    since: since === null ? null : since.toISOString(),
    first: first === null ? null : new Date(first).toISOString(),
    last: last === null ? null : new Date(last).toISOString(),
    hitRate: asked === 0 ? null : total.hits / asked,
    total,
    byCommand,
  };
}

// --- internal ---

function emptyTotals(): StatsTotals {
  return {
    runs: 0,
    hits: 0,
    misses: 0,
    entriesFetched: 0,
    bytesFetched: 0,
    entriesPublished: 0,
    bytesPublished: 0,
    failed: 0,
    compileSeconds: 0,
    savedSeconds: 0,
    savedUnknown: 0,
  };
}

function add(totals: StatsTotals, record: StatsRecord): void {
  totals.runs += 1;
  totals.hits += record.hits;
  totals.misses += record.misses;
  totals.entriesFetched += record.entriesFetched;
  totals.bytesFetched += record.bytesFetched;
  totals.entriesPublished += record.entriesPublished;
  totals.bytesPublished += record.bytesPublished;
  totals.failed += record.failed;
  totals.compileSeconds += record.compileSeconds;
  totals.savedSeconds += record.savedSeconds;
  totals.savedUnknown += record.savedUnknown;
}
