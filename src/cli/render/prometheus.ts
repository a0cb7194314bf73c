import type { StatsCommand, StatsRecord } from "../../layout/stats-record.ts";
import { STATS_COMMANDS } from "../../layout/stats-record.ts";
import type { StatsResult } from "../../ops/stats.ts";

interface Metric {
  name: string;
  help: string;
  type: "counter" | "gauge";
  /** One sample per command, or one unlabelled sample. */
  value: (command: StatsCommand | null) => number;
  perCommand: boolean;
}

/**
 * The summary in the Prometheus text exposition format (version 0.0.4), as node_exporter's
 * textfile collector reads it: `# HELP` and `# TYPE` before each family's samples, one family
 * per name, no timestamps (the collector refuses them), a newline after the last line. Counts
 * are counters over the journal; a rotated journal shows as a counter reset.
 */
export function renderPrometheus(result: StatsResult): string {
  const { summary } = result;
  const of = (command: StatsCommand | null) =>
    command === null ? summary.total : summary.byCommand[command];
  const counter = (
    name: string,
    help: string,
    field: keyof Omit<StatsRecord, "at" | "command" | "store" | "modelId" | "compilerVersion"> | "runs",
  ): Metric => ({
    name,
    help,
    type: "counter",
    perCommand: true,
    value: (command) => of(command)[field],
  });
  const metrics: Metric[] = [
    counter("neff_cache_runs_total", "Runs of neff-cache commands recorded in the stats journal.", "runs"),
    counter("neff_cache_hits_total", "Compile-cache entries the store supplied.", "hits"),
    counter("neff_cache_misses_total", "Compile-cache entries a wrapped compile had to build.", "misses"),
    counter("neff_cache_fetched_entries_total", "Entries downloaded from the store.", "entriesFetched"),
    counter(
      "neff_cache_fetched_bytes_total",
      "Bytes of the entries downloaded from the store.",
      "bytesFetched",
    ),
    counter("neff_cache_published_entries_total", "Entries published to the store.", "entriesPublished"),
    counter("neff_cache_published_bytes_total", "Bytes sent to the store when publishing.", "bytesPublished"),
    counter("neff_cache_failed_entries_total", "Entries that could not be fetched or published.", "failed"),
    counter(
      "neff_cache_compile_seconds_total",
      "Wall time of wrapped commands that compiled at least one entry.",
      "compileSeconds",
    ),
    counter(
      "neff_cache_saved_seconds_total",
      "Recorded compile durations of the entries fetched instead of compiled.",
      "savedSeconds",
    ),
    counter(
      "neff_cache_saved_unknown_entries_total",
      "Fetched entries without a recorded compile duration (not in neff_cache_saved_seconds_total).",
      "savedUnknown",
    ),
    {
      name: "neff_cache_journal_skipped_lines",
      help: "Lines of the stats journal that were not records and were skipped.",
      type: "gauge",
      perCommand: false,
      value: () => result.skippedLines,
    },
    {
      name: "neff_cache_last_run_timestamp_seconds",
      help: "Unix time of the newest record counted (0 when none).",
      type: "gauge",
      perCommand: false,
      value: () => (summary.last === null ? 0 : Date.parse(summary.last) / 1000),
    },
  ];
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`, `# TYPE ${metric.name} ${metric.type}`);
    if (metric.perCommand) {
      for (const command of STATS_COMMANDS) {
        lines.push(`${metric.name}{command="${escapeLabel(command)}"} ${formatValue(metric.value(command))}`);
      }
    } else lines.push(`${metric.name} ${formatValue(metric.value(null))}`);
  }
  return `${lines.join("\n")}\n`;
}

// --- internal ---

/** Go's strconv float syntax, which the exposition format uses: integers plain, no exponent below 1e21. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(Number.isInteger(value) ? value : Number(value.toFixed(6)));
}

/** HELP text escapes backslash and newline only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label values escape backslash, double quote and newline. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
