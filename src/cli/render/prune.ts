import { formatBytes } from "../../layout/format-bytes.ts";
import type { PruneResult } from "../../ops/prune.ts";
import { plural } from "./fetch.ts";

/** Lines shown per kind before "and N more". */
const SHOWN = 20;

/** What the plan removes (or removed), grouped, then failures. */
export function renderPrune(result: PruneResult): string {
  const { plan } = result;
  const verb = result.dryRun ? "Would remove" : "Removed";
  const count = result.dryRun ? plan.keys : result.removedKeys;
  const bytes = result.dryRun ? plan.bytes : result.removedBytes;
  const lines = [
    `${verb} ${count} ${plural(count, "key", "keys")} (${formatBytes(bytes)}) from ${result.store}: ${plan.entries.length} entry ${plural(plan.entries.length, "copy", "copies")}, ${plan.records.length} export ${plural(plan.records.length, "record", "records")}, ${plan.junk.length} junk ${plural(plan.junk.length, "key", "keys")}.`,
  ];
  const show = (items: string[]): void => {
    for (const item of items.slice(0, SHOWN)) lines.push(`  ${item}`);
    if (items.length > SHOWN) lines.push(`  … and ${items.length - SHOWN} more (see --json)`);
  };
  show(
    plan.entries.map(
      (entry) =>
        `neuronxcc-${entry.compilerVersion}/${entry.area === "model" ? `${entry.modelId}/${entry.task}/` : ""}${entry.module} (${entry.state}, ${entry.reason}, ${formatBytes(entry.bytes)})`,
    ),
  );
  show(plan.records.map((record) => `${record.key} (${record.reason})`));
  show(plan.junk.map((key) => `${key.key} (${key.detail ?? "junk"})`));
  lines.push(
    `Kept ${plan.kept.entries} entry ${plural(plan.kept.entries, "copy", "copies")} and ${plan.kept.records} ${plural(plan.kept.records, "record", "records")}${
      plan.kept.foreignKeys > 0 ? `; ${plan.kept.foreignKeys} keys outside the layout left alone` : ""
    }.`,
  );
  for (const failure of result.failed.slice(0, SHOWN))
    lines.push(`  FAILED ${failure.key}: ${failure.error}`);
  if (result.dryRun && plan.keys > 0)
    lines.push("Nothing was deleted (dry run). Run again with --yes to delete.");
  return lines.join("\n");
}
