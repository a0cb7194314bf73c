import { EXIT_CODES } from "../errors.ts";
import type { SyncResult } from "../ops/sync.ts";
import type { CommandSpec } from "./command-spec.ts";
import { partialResult } from "./partial-result.ts";
import {
  PUBLISH_TO_OPTION,
  TIERED_BUCKET_OPTION,
  CACHE_DIR_OPTION,
  COMPILER_VERSION_OPTION,
  CONFIG_OPTION,
  OPTIMUM_NEURON_VERSION_OPTION,
  TASK_OPTION,
  compilerVersion,
  exportConfig,
  localCacheDir,
  openCliPublishTo,
  openCliTiers,
  optimumNeuronVersion,
} from "./cache-target.ts";
import { flagOption, integerOption, stringOption } from "./parse-command-line.ts";

import { SIGNING_KEY_OPTION, cliSigningKey } from "./trust-options.ts";

/** `neff-cache sync [MODEL_ID]`: publish local success entries to the store. */
export const SYNC_COMMAND: CommandSpec = {
  name: "sync",
  summary: "publish local successful entries to the store (flat area, and the model's area with MODEL_ID)",
  args: "[MODEL_ID]",
  minPositionals: 0,
  maxPositionals: 1,
  options: {
    task: TASK_OPTION,
    config: CONFIG_OPTION,
    "optimum-neuron-version": OPTIMUM_NEURON_VERSION_OPTION,
    bucket: TIERED_BUCKET_OPTION,
    "publish-to": PUBLISH_TO_OPTION,
    "cache-dir": CACHE_DIR_OPTION,
    "compiler-version": COMPILER_VERSION_OPTION,
    concurrency: { type: "string", value: "N", help: "files transferred at once (default 16)" },
    "signing-key": SIGNING_KEY_OPTION,
    verify: {
      type: "boolean",
      help: "read back every published file and send again those whose bytes differ from the local ones (downloads what is published)",
    },
    module: {
      type: "string",
      multiple: true,
      value: "MODULE_…",
      help: "publish only this entry (repeatable); default every local successful entry",
    },
  },
  async run(input, context) {
    const modelId = input.positionals[0];
    const config = await exportConfig(input, context);
    if (config !== undefined && modelId === undefined) {
      const { UsageError } = await import("../errors.ts");
      throw new UsageError("--config needs MODEL_ID: export records live in a model's area.", {
        hint: "Usage: neff-cache sync MODEL_ID --config FILE.json",
      });
    }
    const onVersion = config === undefined ? undefined : await optimumNeuronVersion(input, context);
    const cacheDir = localCacheDir(input, context);
    const version = await compilerVersion(input, context);
    const modules = input.values.module as string[] | undefined;
    const [{ sync }, { renderSync }, { createProgressLine }, { syncStatsRecord }] = await Promise.all([
      import("../ops/sync.ts"),
      import("./render/sync.ts"),
      import("./render/progress.ts"),
      import("./journal-records.ts"),
    ]);
    const signingKey = await cliSigningKey(input, context);
    const publishTo = await openCliPublishTo(input, context);
    const stores = publishTo ? [publishTo] : await openCliTiers(input, context);
    const progress = createProgressLine(context.stderr, context.interactive && !input.json, "sync");
    try {
      const options = {
        cacheDir,
        compilerVersion: version,
        modelId,
        task: stringOption(input, "task"),
        ...(modules === undefined ? {} : { modules }),
        exportConfig: config,
        optimumNeuronVersion: onVersion,
        concurrency: integerOption(input, "concurrency"),
        signingKey,
        verify: flagOption(input, "verify"),
        signal: context.signal,
        onProgress: progress.listener,
      };
      const result =
        stores.length === 1
          ? await sync({ ...options, store: stores[0] as (typeof stores)[number] }).catch(
              partialResult<SyncResult>,
            )
          : await (
              await import("../ops/tiers.ts")
            )
              .syncToTiers({
                ...options,
                candidates: stores,
                onWarning: (message) => {
                  progress.stop();
                  context.log.warn(message);
                },
              })
              .catch(partialResult<SyncResult>);
      return {
        data: result,
        // Some entries failed: the result still says which, and the exit code says so.
        exitCode: result.failed.length > 0 ? EXIT_CODES.partial : EXIT_CODES.ok,
        human: () => renderSync(result),
        journal: syncStatsRecord(result, new Date()),
      };
    } finally {
      progress.stop();
      for (const store of stores) await store.close();
    }
  },
};
