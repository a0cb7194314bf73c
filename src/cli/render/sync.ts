import type { SyncResult } from "../../ops/sync.ts";
import { plural } from "./fetch.ts";
import { formatDuration } from "./format.ts";
import { formatBytes } from "../../layout/format-bytes.ts";

export function renderSync(result: SyncResult): string {
  const target = result.modelId ? ` (flat area and ${result.modelId}/${result.task})` : " (flat area)";
  const lines = [
    `Published ${result.published.length} ${plural(result.published.length, "entry", "entries")} (${formatBytes(result.bytes)} sent) to ${result.store}${target} in ${formatDuration(result.seconds * 1000)}.`,
  ];
  const repaired = result.published.filter((entry) =>
    entry.reasons.some((reason) => !reason.endsWith(": not in the store")),
  );
  for (const entry of repaired) lines.push(`  repaired ${entry.module}: ${entry.reasons.join("; ")}`);
  const present = result.skipped.filter((skip) => skip.reason === "present").length;
  if (present > 0) lines.push(`  ${present} already in the store.`);
  const notSuccess = result.skipped.filter((skip) => skip.reason === "not-success");
  if (notSuccess.length > 0) {
    lines.push(
      `  ${notSuccess.length} local ${plural(notSuccess.length, "entry is", "entries are")} not a success and stay local (failed, locked or empty).`,
    );
  }
  for (const failure of result.failed) lines.push(`  FAILED ${failure.module}: ${failure.error}`);
  if (result.signatures && result.signatures.signed.length > 0) {
    const count = result.signatures.signed.length;
    lines.push(
      `  Signed ${count} ${plural(count, "manifest or record", "manifests and records")} with ${result.signatures.key}.`,
    );
  }
  if (result.record)
    lines.push(
      `  Export record ${result.record.key} ${result.record.created ? "written" : "already present"}.`,
    );
  return lines.join("\n");
}
