import type { CommandSpec } from "./command-spec.ts";
import {
  BUCKET_OPTION,
  OPTIMUM_NEURON_VERSION_OPTION,
  TASK_OPTION,
  exportConfig,
  openCliStore,
} from "./cache-target.ts";
import { integerOption, stringOption } from "./parse-command-line.ts";
import { TRUST_OPTIONS, cliTrustPolicy } from "./trust-options.ts";

/** `neff-cache lookup MODEL_ID`: the export configurations cached for a model. */
export const LOOKUP_COMMAND: CommandSpec = {
  name: "lookup",
  summary: "list the export configurations cached for a model",
  args: "MODEL_ID",
  minPositionals: 1,
  maxPositionals: 1,
  options: {
    task: TASK_OPTION,
    bucket: BUCKET_OPTION,
    "compiler-version": {
      type: "string",
      value: "V",
      help: "only this compiler version (default: every version in the store)",
    },
    "optimum-neuron-version": {
      ...OPTIMUM_NEURON_VERSION_OPTION,
      help: "only records of this optimum-neuron version (default: all)",
    },
    "batch-size": { type: "string", value: "N", help: "only this batch size" },
    "sequence-length": { type: "string", value: "N", help: "only this sequence length" },
    "tp-degree": { type: "string", value: "N", help: "only this tensor-parallel degree" },
    dtype: { type: "string", value: "D", help: "only this dtype (bf16, bfloat16, fp16, …)" },
    target: { type: "string", value: "T", help: "only this target or instance type (inf2, trn1, trn2, …)" },
    nearest: {
      type: "string",
      value: "FILE.json",
      help: "rank the cached configurations by closeness to this export configuration, with the fields that differ",
    },
    ...TRUST_OPTIONS,
  },
  async run(input, context) {
    const [{ lookup }, { renderLookup }] = await Promise.all([
      import("../ops/lookup.ts"),
      import("./render/lookup.ts"),
    ]);
    const filter = {
      batchSize: integerOption(input, "batch-size"),
      sequenceLength: integerOption(input, "sequence-length"),
      tpDegree: integerOption(input, "tp-degree"),
      dtype: stringOption(input, "dtype"),
      target: stringOption(input, "target"),
    };
    const nearest = await exportConfig(input, context, "nearest");
    const trust = await cliTrustPolicy(input, context);
    const store = await openCliStore(input, context);
    try {
      const result = await lookup({
        store,
        modelId: input.positionals[0] ?? "",
        task: stringOption(input, "task"),
        compilerVersion: stringOption(input, "compiler-version"),
        optimumNeuronVersion: stringOption(input, "optimum-neuron-version"),
        filter: Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined)),
        ...(nearest ? { nearest } : {}),
        trust,
        signal: context.signal,
      });
      return { data: result, human: () => renderLookup(result) };
    } finally {
      await store.close();
    }
  },
};
