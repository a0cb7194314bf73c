import { formatBytes } from "../../layout/format-bytes.ts";
import type { StatsCommand } from "../../layout/stats-record.ts";
import { STATS_COMMANDS } from "../../layout/stats-record.ts";
import type { StatsResult } from "../../ops/stats.ts";
import { plural } from "./fetch.ts";
import { formatTable } from "./format.ts";

/** Totals first, then one row per command. */
export function renderStats(result: StatsResult): string {
  const { summary } = result;
  const { total } = summary;
  const window = summary.since === null ? "all recorded runs" : `since ${summary.since}`;
  if (total.runs === 0) return `No runs recorded (${window}) in ${result.journal}.`;
  const lines = [
    `${total.runs} ${plural(total.runs, "run", "runs")} (${window}; ${summary.first} to ${summary.last})`,
    `  hits ${total.hits}, misses ${total.misses}${
      summary.hitRate === null ? "" : ` (hit rate ${(summary.hitRate * 100).toFixed(1)}%)`
    }`,
    `  fetched ${total.entriesFetched} ${plural(total.entriesFetched, "entry", "entries")} (${formatBytes(total.bytesFetched)}), published ${total.entriesPublished} (${formatBytes(total.bytesPublished)})${
      total.failed > 0 ? `, ${total.failed} failed` : ""
    }`,
    `  compile time spent ${formatHours(total.compileSeconds)}, saved ${formatHours(total.savedSeconds)}${
      total.savedUnknown > 0
        ? ` (${total.savedUnknown} fetched ${plural(total.savedUnknown, "entry", "entries")} without a recorded compile time not counted)`
        : ""
    }`,
    "",
    formatTable(
      ["command", "runs", "hits", "misses", "fetched", "published", "saved"],
      STATS_COMMANDS.map((command: StatsCommand) => {
        const totals = summary.byCommand[command];
        return [
          command,
          String(totals.runs),
          String(totals.hits),
          String(totals.misses),
          formatBytes(totals.bytesFetched),
          formatBytes(totals.bytesPublished),
          formatHours(totals.savedSeconds),
        ];
      }),
    ),
  ];
  return lines.join("\n");
}

// --- internal ---

function formatHours(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
