import type { LookupResult } from "../../ops/lookup.ts";
import { formatTable } from "./format.ts";

export function renderLookup(result: LookupResult): string {
  const lines: string[] = [];
  if (result.records.length === 0) lines.push(`No cached configurations found for ${result.modelId}.`);
  else {
    lines.push(`Cached configurations for ${result.modelId} in ${result.store}:`, "");
    const value = (item: number | string | null): string => (item === null ? "?" : String(item));
    lines.push(
      formatTable(
        [
          "task",
          "batch size",
          "sequence length",
          "tp degree",
          "dtype",
          "target",
          "optimum-neuron",
          "compiler",
        ],
        result.records.map((record) => [
          record.task,
          value(record.summary.batchSize),
          value(record.summary.sequenceLength),
          value(record.summary.tpDegree),
          value(record.summary.dtype),
          value(record.summary.target),
          record.optimumNeuronVersion,
          record.compilerVersion,
        ]),
      ),
    );
  }
  for (const bad of result.malformed) lines.push(`  skipped malformed record ${bad.key}: ${bad.reason}`);
  for (const record of result.untrusted ?? []) {
    lines.push(`  skipped untrusted record ${record.key}: ${record.reason}: ${record.detail}`);
  }
  return lines.join("\n");
}
