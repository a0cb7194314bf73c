import type { ExplainResult } from "../../ops/explain.ts";
import { plural } from "./fetch.ts";
import { renderMissExplanations } from "./miss-reasons.ts";

export function renderExplain(result: ExplainResult): string {
  const area =
    result.modelId === null ? "the flat area" : `${result.modelId} (task ${result.task ?? "default"})`;
  const lines = [
    `Local cache ${result.cacheDir} against ${result.store}, ${area}, compiler ${result.compilerVersion}:`,
    `  ${result.shared.length} ${plural(result.shared.length, "entry", "entries")} in both.`,
  ];
  const localOnly = result.localOnly.length;
  if (localOnly > 0) {
    lines.push(`  ${localOnly} local ${plural(localOnly, "entry", "entries")} the store lacks:`);
    lines.push(...renderMissExplanations(result.localOnly, result.compilerVersion, "    "));
  }
  const storeOnly = result.storeOnly.length;
  if (storeOnly > 0) {
    lines.push(`  ${storeOnly} store ${plural(storeOnly, "entry", "entries")} the local cache lacks:`);
    for (const entry of result.storeOnly) lines.push(`    ${entry.module}: ${entry.detail}`);
  }
  const unpublishable = result.unpublishable.length;
  if (unpublishable > 0) {
    lines.push(
      `  ${unpublishable} local ${plural(unpublishable, "entry", "entries")} never published (not a success):`,
    );
    for (const entry of result.unpublishable) lines.push(`    ${entry.module}: ${entry.state}`);
  }
  if (localOnly === 0 && storeOnly === 0) lines.push("  Nothing to explain: both hold the same successes.");
  return lines.join("\n");
}
