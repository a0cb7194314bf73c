import { EXIT_CODES } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { CommandSpec } from "./command-spec.ts";
import {
  PUBLISH_TO_OPTION,
  TIERED_BUCKET_OPTION,
  CACHE_DIR_OPTION,
  COMPILER_VERSION_OPTION,
  CONFIG_OPTION,
  OPTIMUM_NEURON_VERSION_OPTION,
  TASK_OPTION,
  exportConfig,
  openCliPublishTo,
  openCliTiers,
  optimumNeuronVersion,
} from "./cache-target.ts";
import { flagOption, stringOption } from "./parse-command-line.ts";
import { SIGNING_KEY_OPTION, TRUST_OPTIONS, cliSigningKey, cliTrustPolicy } from "./trust-options.ts";

/**
 * `neff-cache exec --model M -- COMMAND…`: fetch, run the compile, publish what it produced.
 * Only the command line itself can fail exec before the command runs; anything about the cache
 * or the store is a warning and the command runs regardless (unless --strict).
 */
export const EXEC_COMMAND: CommandSpec = {
  name: "exec",
  summary: "fetch a model's entries, run a compile command, publish the entries it produced",
  args: "",
  minPositionals: 0,
  maxPositionals: 0,
  takesCommand: true,
  options: {
    model: {
      type: "string",
      value: "MODEL_ID",
      help: "model whose entries are fetched and published (org/name)",
    },
    task: TASK_OPTION,
    config: CONFIG_OPTION,
    "config-after": {
      type: "string",
      value: "FILE.json",
      help: "like --config, but read after the command succeeded (for a command that writes it); no file means no record, a bad one is a warning",
    },
    "optimum-neuron-version": OPTIMUM_NEURON_VERSION_OPTION,
    bucket: TIERED_BUCKET_OPTION,
    "publish-to": PUBLISH_TO_OPTION,
    "cache-dir": CACHE_DIR_OPTION,
    "compiler-version": COMPILER_VERSION_OPTION,
    "read-only": {
      type: "boolean",
      help: "never publish (also NEFF_CACHE_READ_ONLY=1); for pull-request builds",
    },
    strict: {
      type: "boolean",
      help: "fail when the store fails, instead of warning (also NEFF_CACHE_STRICT=1)",
    },
    "signing-key": SIGNING_KEY_OPTION,
    ...TRUST_OPTIONS,
    "require-hit": {
      type: "boolean",
      help: `stop the command (exit ${EXIT_CODES.compileRequired}) the moment it starts a compile the cache did not serve; publish nothing (also NEFF_CACHE_REQUIRE_HIT=1)`,
    },
  },
  async run(input, context) {
    const { execWithCache } = await import("./exec-with-cache.ts");
    // Opened once, when the cache is first used (a broken store must not block the command).
    let opened: Promise<Store[]> | null = null;
    const tiers = (): Promise<Store[]> => (opened ??= openCliTiers(input, context));
    const modelId = stringOption(input, "model");
    const config = await exportConfig(input, context);
    const result = await execWithCache({
      command: input.rest,
      modelId,
      task: stringOption(input, "task"),
      exportConfig: config,
      exportConfigAfter: stringOption(input, "config-after"),
      // Looked up only if a record is about to be written: a missing one never blocks the compile.
      optimumNeuronVersion: () => optimumNeuronVersion(input, context),
      readOnly: flagOption(input, "read-only") || isOn(context.env.NEFF_CACHE_READ_ONLY),
      strict: flagOption(input, "strict") || isOn(context.env.NEFF_CACHE_STRICT),
      requireHit: flagOption(input, "require-hit") || isOn(context.env.NEFF_CACHE_REQUIRE_HIT),
      input,
      context,
      openStore: async () => (await tiers())[0] as Store,
      openMoreTiers: async () => (await tiers()).slice(1),
      openPublishTo: () => openCliPublishTo(input, context),
      // Bad key files are command-line errors: reported before the command runs.
      trust: await cliTrustPolicy(input, context),
      signingKey: await cliSigningKey(input, context),
    });
    const [{ renderExec }, { execStatsRecord }] = await Promise.all([
      import("./render/exec.ts"),
      import("./journal-records.ts"),
    ]);
    return {
      data: result,
      human: () => renderExec(result),
      journal: execStatsRecord(result, modelId ?? null, new Date()),
      exitCode: result.stoppedForCompile ? EXIT_CODES.compileRequired : result.exitCode,
      humanStream: "stderr",
    };
  },
};

function isOn(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes"].includes(value.trim().toLowerCase());
}
