/**
 * The CLI side of exec: resolve the cache and the compiler version (each a warning when it
 * fails, never a reason not to run the command), run the command between fetch and sync, and
 * report. Kept out of the command table so `exec`'s start-up imports stay small.
 */
import { NotFoundError, UsageError } from "../errors.ts";
import { compilerVersionDir } from "../layout/cache-layout.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { isMountPoint, mountedFromEnv } from "../local/is-mount-point.ts";
import { runCommand } from "../local/run-command.ts";
import type { RunCommandResult } from "../local/run-command.ts";
import type { NeuronCacheReport } from "../ops/with-neuron-cache.ts";
import type { ProducerSigningKey } from "../trust/producer-key.ts";
import type { TrustPolicy } from "../trust/signature-file.ts";
import { withNeuronCache } from "../ops/with-neuron-cache.ts";
import type { Store } from "../store/store.ts";
import { compilerVersion, localCacheDir, readExportConfig, storeTimeoutMs } from "./cache-target.ts";
import type { CommandInput } from "./command-spec.ts";
import type { CliContext } from "./context.ts";
import { createProgressLine } from "./render/progress.ts";

/**
 * How long exec's publishing may take when no --timeout is given: the compile is done by then,
 * and a stalled store must not hold the command's exit code back for long. 10 minutes is
 * over ten times what publishing a large model (tens of GB on a fast link) takes.
 */
export const DEFAULT_EXEC_PUBLISH_TIMEOUT_MS = 10 * 60_000;

export interface ExecWithCacheOptions {
  command: readonly string[];
  modelId: string | undefined;
  task: string | undefined;
  exportConfig: PyJsonObject | undefined;
  /** A file the command writes its export configuration to, read once it succeeded. */
  exportConfigAfter: string | undefined;
  optimumNeuronVersion: () => Promise<string>;
  readOnly: boolean;
  strict: boolean;
  /** Stop the command the moment it starts a compile the cache did not serve. */
  requireHit: boolean;
  input: CommandInput;
  context: CliContext;
  openStore: () => Promise<Store>;
  /** The tiers after the first (none without tiers). */
  openMoreTiers?: () => Promise<Store[]>;
  openPublishTo?: () => Promise<Store | null>;
  trust: TrustPolicy | null;
  signingKey: ProducerSigningKey | null;
}

export interface ExecResult {
  command: readonly string[];
  exitCode: number;
  signal: string | null;
  commandSeconds: number;
  cacheDir: string | null;
  compilerVersion: string | null;
  /** Null when the cache could not be used at all (see warnings). */
  cache: NeuronCacheReport | null;
  /** `--require-hit` stopped the command because it started a compile the cache did not serve. */
  stoppedForCompile: boolean;
  warnings: string[];
}

export async function execWithCache(options: ExecWithCacheOptions): Promise<ExecResult> {
  const { context, input } = options;
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    context.log.warn(message);
  };
  const run = (stop?: AbortSignal): Promise<RunCommandResult> =>
    runCommand({
      command: options.command,
      env: context.env,
      cwd: context.cwd,
      trapSignals: context.trapSignals,
      stop,
    });

  const timeoutMs = storeTimeoutMs(input, context);
  let cacheDir: string | null = null;
  let version: string | null = null;
  try {
    cacheDir = localCacheDir(input, context);
    version = await compilerVersion(input, context);
  } catch (error) {
    if (options.strict) throw error;
    if (options.requireHit) {
      throw new UsageError(
        `--require-hit needs the local compile cache: ${error instanceof Error ? error.message : String(error)}`,
        { hint: "Fix the cache dir or compiler version, or run without --require-hit." },
      );
    }
    warn(`running without the cache: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (options.modelId === undefined)
    warn("no --model given: nothing is fetched and new entries go to the flat area only");

  if (cacheDir === null || version === null) {
    const ran = await run();
    return result(options, ran, cacheDir, version, null, warnings);
  }
  const mounted = mountedFromEnv(context.env) ?? (await isMountPoint(cacheDir));
  const progress = createProgressLine(
    context.stderr,
    context.interactive && !options.input.json,
    "neff-cache",
  );
  try {
    const outcome = await withNeuronCache(
      {
        modelId: options.modelId,
        task: options.task,
        exportConfig: options.exportConfig,
        optimumNeuronVersion: options.optimumNeuronVersion,
        cacheDir,
        compilerVersion: version,
        store: options.openStore,
        ...(options.openMoreTiers ? { moreTiers: options.openMoreTiers } : {}),
        ...(options.openPublishTo ? { publishTo: options.openPublishTo } : {}),
        readOnly: options.readOnly,
        strict: options.strict,
        requireHit: options.requireHit,
        mounted,
        trust: options.trust,
        signingKey: options.signingKey,
        signal: context.signal,
        ...(timeoutMs === undefined ? {} : { fetchTimeoutMs: timeoutMs }),
        publishTimeoutMs: timeoutMs ?? DEFAULT_EXEC_PUBLISH_TIMEOUT_MS,
        onProgress: progress.listener,
        onWarning: (message) => {
          progress.stop();
          warn(message);
        },
      },
      async (cacheContext) => {
        progress.stop();
        context.log.debug(
          `running ${options.command.join(" ")} (cache ${cacheDir}/${compilerVersionDir(version ?? "")})`,
        );
        const ran = await run(cacheContext.compileStarted);
        if (ran.exitCode === 0 && options.exportConfigAfter !== undefined) {
          try {
            cacheContext.exportConfig = await readExportConfig(options.exportConfigAfter, context);
          } catch (error) {
            // The command wrote no configuration: there is no record to write, as without --config.
            if (error instanceof NotFoundError) context.log.debug(`no export record: ${error.message}`);
            else warn(`no export record: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        return ran;
      },
      (ran) => ran.exitCode === 0,
    );
    return result(options, outcome.value, cacheDir, version, outcome.report, warnings);
  } finally {
    progress.stop();
  }
}

function result(
  options: ExecWithCacheOptions,
  ran: RunCommandResult,
  cacheDir: string | null,
  version: string | null,
  cache: NeuronCacheReport | null,
  warnings: string[],
): ExecResult {
  return {
    command: options.command,
    exitCode: ran.exitCode,
    signal: ran.signal,
    commandSeconds: ran.durationMs / 1000,
    cacheDir,
    compilerVersion: version,
    cache,
    stoppedForCompile: cache?.requireHit?.compileStarted ?? false,
    warnings,
  };
}
