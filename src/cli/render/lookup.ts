import type { LookupResult } from "../../ops/lookup.ts";
import { formatTable } from "./format.ts";
import { describeDifferences } from "./miss-reasons.ts";

export function renderLookup(result: LookupResult): string {
  const lines: string[] = [];
  if (result.records.length === 0) lines.push(`No cached configurations found for ${result.modelId}.`);
  else {
    const ranked = result.records.some((record) => record.differences !== undefined);
    lines.push(
      `Cached configurations for ${result.modelId} in ${result.store}${ranked ? ", nearest first" : ""}:`,
      "",
    );
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
          ...(ranked ? ["differs from yours"] : []),
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
          ...(ranked ? [describeDifferences(record.differences ?? [])] : []),
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
