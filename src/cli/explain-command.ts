import type { CommandSpec } from "./command-spec.ts";
import {
  BUCKET_OPTION,
  CACHE_DIR_OPTION,
  COMPILER_VERSION_OPTION,
  TASK_OPTION,
  compilerVersion,
  localCacheDir,
  openCliStore,
} from "./cache-target.ts";
import { stringOption } from "./parse-command-line.ts";

/** `neff-cache explain [MODEL_ID]`: why the local cache and the store differ, entry by entry. */
export const EXPLAIN_COMMAND: CommandSpec = {
  name: "explain",
  summary: "compare the local cache with the store: which entries each lacks, and why",
  args: "[MODEL_ID]",
  minPositionals: 0,
  maxPositionals: 1,
  options: {
    task: TASK_OPTION,
    bucket: BUCKET_OPTION,
    "cache-dir": CACHE_DIR_OPTION,
    "compiler-version": COMPILER_VERSION_OPTION,
  },
  async run(input, context) {
    const cacheDir = localCacheDir(input, context);
    const version = await compilerVersion(input, context);
    const [{ explain }, { renderExplain }] = await Promise.all([
      import("../ops/explain.ts"),
      import("./render/explain.ts"),
    ]);
    const store = await openCliStore(input, context);
    try {
      const result = await explain({
        store,
        cacheDir,
        compilerVersion: version,
        modelId: input.positionals[0],
        task: stringOption(input, "task"),
        signal: context.signal,
      });
      return { data: result, human: () => renderExplain(result) };
    } finally {
      await store.close();
    }
  },
};
