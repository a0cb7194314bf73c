import { BUCKET_OPTION, openCliStore } from "./cache-target.ts";
import type { CommandSpec } from "./command-spec.ts";
import { flagOption } from "./parse-command-line.ts";

/** `neff-cache ls [PREFIX]`: what a store holds under a prefix. */
export const LS_COMMAND: CommandSpec = {
  name: "ls",
  summary: "list what the store holds under a prefix",
  args: "[PREFIX]",
  minPositionals: 0,
  maxPositionals: 1,
  options: {
    bucket: BUCKET_OPTION,
    recursive: { type: "boolean", short: "r", help: "list every object below the prefix" },
  },
  async run(input, context) {
    const [{ listStore }, { formatBytes }] = await Promise.all([
      import("../ops/ls.ts"),
      import("../layout/format-bytes.ts"),
    ]);
    const store = await openCliStore(input, context);
    try {
      const result = await listStore({
        store,
        prefix: input.positionals[0],
        recursive: flagOption(input, "recursive"),
        signal: context.signal,
      });
      return {
        data: result,
        human: () =>
          [
            ...result.items.map((item) =>
              item.type === "dir"
                ? `${"DIR".padStart(10)}  ${item.key}/`
                : `${formatBytes(item.size).padStart(10)}  ${item.key}`,
            ),
            `${result.files} files (${formatBytes(result.totalBytes)}), ${result.dirs} folders in ${result.url}${result.prefix ? `/${result.prefix}` : ""}`,
          ].join("\n"),
      };
    } finally {
      await store.close();
    }
  },
};
