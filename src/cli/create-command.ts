import { openCliStore } from "./cache-target.ts";
import type { CommandSpec } from "./command-spec.ts";
import { flagOption } from "./parse-command-line.ts";

/** `neff-cache create BUCKET`: create the bucket (S3, Hugging Face) or directory a store names. */
export const CREATE_COMMAND: CommandSpec = {
  name: "create",
  summary: "create a store: a Hugging Face bucket, an S3 bucket, or a directory",
  args: "BUCKET",
  minPositionals: 1,
  maxPositionals: 1,
  options: { private: { type: "boolean", help: "Hugging Face buckets: create it private" } },
  async run(input, context) {
    const { createStore } = await import("../ops/create.ts");
    const store = await openCliStore(
      { ...input, values: { ...input.values, bucket: input.positionals[0] } },
      context,
    );
    try {
      const result = await createStore({
        store,
        private: flagOption(input, "private"),
        signal: context.signal,
      });
      return {
        data: result,
        human: () =>
          result.created ? `Created ${result.url}.` : `${result.url} already exists; nothing to do.`,
      };
    } finally {
      await store.close();
    }
  },
};
