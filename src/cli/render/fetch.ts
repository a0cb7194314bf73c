import type { FetchResult } from "../../ops/fetch.ts";
import { formatDuration, formatRate } from "./format.ts";
import { formatBytes } from "../../layout/format-bytes.ts";

/** One line of outcome, then what was skipped or failed and why. */
export function renderFetch(result: FetchResult): string {
  const lines = [
    `Fetched ${result.fetched.length} ${plural(result.fetched.length, "entry", "entries")} (${formatBytes(result.bytes)}) from ${result.store}/${result.prefix} in ${formatDuration(result.seconds * 1000)}${
      result.bytes > 0 ? ` (${formatRate(result.bytes / Math.max(result.seconds, 0.001))})` : ""
    }.`,
  ];
  const present = result.skipped.filter((skip) => skip.reason === "present").length;
  if (present > 0) lines.push(`  ${present} already in the local cache.`);
  for (const skip of result.skipped.filter((item) => item.reason !== "present")) {
    lines.push(`  skipped ${skip.module}: ${skip.detail}`);
  }
  for (const failure of result.failed) lines.push(`  FAILED ${failure.module}: ${failure.error}`);
  if (result.refusedKeys.length > 0) {
    lines.push(
      `  ignored ${result.refusedKeys.length} store ${plural(result.refusedKeys.length, "key", "keys")} outside the layout (see --json)`,
    );
  }
  if (result.fetched.length === 0 && result.skipped.length === 0 && result.failed.length === 0) {
    lines.push("  The store has no entries for this model, task and compiler version.");
  }
  return lines.join("\n");
}

export function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}
