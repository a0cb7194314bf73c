import { formatBytes } from "../../layout/format-bytes.ts";
import type { CopyResult } from "../../ops/copy.ts";
import { plural } from "./fetch.ts";
import { formatDuration } from "./format.ts";

/** One line of outcome, then what was skipped as incomplete and what failed. */
export function renderCopy(result: CopyResult): string {
  const copied = result.copied.length;
  const lines = [
    `Copied ${copied} entry ${plural(copied, "copy", "copies")} and ${result.records.length} export ${plural(result.records.length, "record", "records")} (${formatBytes(result.bytes)}${result.serverSide ? ", inside the store" : ""}) from ${result.from} to ${result.to} in ${formatDuration(result.seconds * 1000)}.`,
  ];
  const present = result.skipped.filter((skip) => skip.reason === "present").length;
  if (present > 0) lines.push(`  ${present} already in the destination.`);
  const incomplete = result.skipped.filter((skip) => skip.reason === "incomplete-in-source");
  if (incomplete.length > 0) {
    lines.push(
      `  ${incomplete.length} incomplete in the source (failed, locked or half-written), not copied.`,
    );
  }
  for (const failure of result.failed) lines.push(`  FAILED ${failure.what}: ${failure.error}`);
  return lines.join("\n");
}
