import { EXIT_CODES } from "../errors.ts";
import type { FetchResult } from "../ops/fetch.ts";
import type { CommandSpec } from "./command-spec.ts";
import { partialResult } from "./partial-result.ts";
import {
  TIERED_BUCKET_OPTION,
  CACHE_DIR_OPTION,
  COMPILER_VERSION_OPTION,
  TASK_OPTION,
  compilerVersion,
  localCacheDir,
  openCliTiers,
} from "./cache-target.ts";
import { flagOption, integerOption, stringOption } from "./parse-command-line.ts";
import { TRUST_OPTIONS, cliTrustPolicy } from "./trust-options.ts";

/** `neff-cache fetch MODEL_ID`: bring a model's entries from the store into the local cache. */
export const FETCH_COMMAND: CommandSpec = {
  name: "fetch",
  summary: "download a model's compiled entries from the store into the local compile cache",
  args: "[MODEL_ID]",
  minPositionals: 0,
  maxPositionals: 1,
  options: {
    task: TASK_OPTION,
    bucket: TIERED_BUCKET_OPTION,
    "cache-dir": CACHE_DIR_OPTION,
    "compiler-version": COMPILER_VERSION_OPTION,
    all: {
      type: "boolean",
      help: "fetch every entry of the compiler version (the flat area), not one model's",
    },
    concurrency: { type: "string", value: "N", help: "files transferred at once (default 16)" },
    ...TRUST_OPTIONS,
  },
  async run(input, context) {
    const modelId = input.positionals[0];
    const all = flagOption(input, "all");
    if (modelId === undefined && !all) {
      const { UsageError } = await import("../errors.ts");
      throw new UsageError(
        "neff-cache fetch needs MODEL_ID (or --all for every entry of the compiler version).",
        {
          hint: "Usage: neff-cache fetch MODEL_ID [--task T] [--bucket B]",
        },
      );
    }
    const cacheDir = localCacheDir(input, context);
    const version = await compilerVersion(input, context);
    const [{ fetch }, { renderFetch }, { createProgressLine }, { fetchStatsRecord }] = await Promise.all([
      import("../ops/fetch.ts"),
      import("./render/fetch.ts"),
      import("./render/progress.ts"),
      import("./journal-records.ts"),
    ]);
    const trust = await cliTrustPolicy(input, context);
    const tiers = await openCliTiers(input, context);
    const progress = createProgressLine(context.stderr, context.interactive && !input.json, "fetch");
    try {
      const options = {
        cacheDir,
        compilerVersion: version,
        modelId,
        task: stringOption(input, "task"),
        all,
        concurrency: integerOption(input, "concurrency"),
        trust,
        signal: context.signal,
        onProgress: progress.listener,
      };
      const result =
        tiers.length === 1
          ? await fetch({ ...options, store: tiers[0] as (typeof tiers)[number] }).catch(
              partialResult<FetchResult>,
            )
          : await (
              await import("../ops/tiers.ts")
            )
              .fetchFromTiers({
                ...options,
                tiers,
                onWarning: (message) => {
                  progress.stop();
                  context.log.warn(message);
                },
              })
              .catch(partialResult<FetchResult>);
      return {
        data: result,
        // Some entries failed: the result still says which, and the exit code says so.
        exitCode: result.failed.length > 0 ? EXIT_CODES.partial : EXIT_CODES.ok,
        human: () => renderFetch(result),
        journal: fetchStatsRecord(result, modelId ?? null, new Date()),
      };
    } finally {
      progress.stop();
      for (const store of tiers) await store.close();
    }
  },
};
