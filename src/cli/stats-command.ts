import { UsageError } from "../errors.ts";
import type { CommandSpec } from "./command-spec.ts";
import { stringOption } from "./parse-command-line.ts";

/** `neff-cache stats`: what the cache saved on this machine, from the local stats journal. */
export const STATS_COMMAND: CommandSpec = {
  name: "stats",
  summary: "hits, misses, bytes moved and compile time saved, from this machine's stats journal",
  args: "",
  minPositionals: 0,
  maxPositionals: 0,
  options: {
    since: { type: "string", value: "DURATION", help: "count only the last DURATION (e.g. 7d, 12h)" },
    format: {
      type: "string",
      value: "FORMAT",
      help: "prometheus: the text exposition format, for node_exporter's textfile collector",
    },
  },
  async run(input, context) {
    const format = stringOption(input, "format");
    if (format !== undefined && format !== "prometheus") {
      throw new UsageError(`Unknown --format ${JSON.stringify(format)}.`, {
        hint: "The one format is prometheus (use --json for JSON).",
      });
    }
    if (format !== undefined && input.json) {
      throw new UsageError("--format prometheus and --json cannot be combined.", {
        hint: "Pick one: --json prints JSON, --format prometheus the exposition format.",
      });
    }
    const [{ stats }, { statsJournalPath }, { parseDuration }, { renderStats }, { renderPrometheus }] =
      await Promise.all([
        import("../ops/stats.ts"),
        import("../local/stats-journal.ts"),
        import("../layout/parse-duration.ts"),
        import("./render/stats.ts"),
        import("./render/prometheus.ts"),
      ]);
    const since = stringOption(input, "since");
    const result = await stats({
      journal: statsJournalPath(context.env),
      sinceMs: since === undefined ? undefined : parseDuration(since),
    });
    if (result.skippedLines > 0) {
      context.log.warn(
        `skipped ${result.skippedLines} damaged line(s) of the stats journal: ${result.skippedExamples.join("; ")}`,
      );
    }
    return {
      data: result,
      human: () => (format === "prometheus" ? renderPrometheus(result).trimEnd() : renderStats(result)),
    };
  },
};
