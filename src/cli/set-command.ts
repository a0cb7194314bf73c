import type { CommandSpec } from "./command-spec.ts";

/** `neff-cache set BUCKET`: remember the store, in the file optimum-neuron reads too. */
export const SET_COMMAND: CommandSpec = {
  name: "set",
  summary: "remember the default store (in $HF_HOME/optimum_neuron_cache_bucket, shared with optimum-neuron)",
  args: "BUCKET",
  minPositionals: 1,
  maxPositionals: 1,
  options: {},
  async run(input, context) {
    const { setBucketCommand } = await import("../ops/set.ts");
    const result = await setBucketCommand({ bucket: input.positionals[0] ?? "", env: { ...context.env } });
    return {
      data: result,
      human: () => {
        const lines = [`Cache store set to ${result.bucket} (saved in ${result.file}).`];
        if (result.previous !== null && result.previous !== result.bucket)
          lines.push(`  It was ${result.previous}.`);
        if (!result.readableByOptimumNeuron) {
          lines.push(
            "  optimum-neuron reads only Hugging Face bucket ids from this file; it will not use this store.",
          );
        }
        return lines.join("\n");
      },
    };
  },
};
