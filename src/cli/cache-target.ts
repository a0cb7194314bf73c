/**
 * What fetch, sync, lookup and exec share on the command line: the local cache, the compiler
 * version, the store, and the export config file.
 */
import { statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { NotFoundError, UsageError } from "../errors.ts";
import { exportRecordBody, MAX_EXPORT_RECORD_BYTES } from "../layout/export-record.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { parseDuration } from "../layout/parse-duration.ts";
import { isPyJsonObject, parsePyJson } from "../layout/py-json.ts";
import { requireLocalCacheDir } from "../layout/require-local-cache-dir.ts";
import { resolveCacheDir } from "../layout/resolve-cache-dir.ts";
import type { Store } from "../store/store.ts";
import type { CommandInput, OptionSpec } from "./command-spec.ts";
import type { CliContext } from "./context.ts";
import { stringOption } from "./parse-command-line.ts";

export const CACHE_DIR_OPTION: OptionSpec = {
  type: "string",
  value: "DIR",
  help: "local compile cache (default: --cache_dir in NEURON_CC_FLAGS, NEURON_COMPILE_CACHE_URL, /var/tmp/neuron-compile-cache)",
};
export const COMPILER_VERSION_OPTION: OptionSpec = {
  type: "string",
  value: "V",
  help: "full neuronx-cc version (default: NEFF_CACHE_COMPILER_VERSION or the installed compiler)",
};
export const BUCKET_OPTION: OptionSpec = {
  type: "string",
  value: "B",
  help: "store: ns/name, hf://buckets/ns/name[/prefix], s3://bucket[/prefix], file:///dir (default: NEURON_CACHE_BUCKET, then $HF_HOME/optimum_neuron_cache_bucket)",
};
/** `--bucket` on the commands that read or publish through tiers: repeatable, fastest first. */
export const TIERED_BUCKET_OPTION: OptionSpec = {
  ...BUCKET_OPTION,
  multiple: true,
  help: "store; repeat it (or give NEURON_CACHE_BUCKET=a,b) for tiers, fastest first: each entry comes from the first tier that has it, and earlier tiers are backfilled",
};
export const PUBLISH_TO_OPTION: OptionSpec = {
  type: "string",
  value: "STORE",
  help: "with tiers: publish here (default: the first tier that takes the writes)",
};
export const TASK_OPTION: OptionSpec = {
  type: "string",
  value: "T",
  help: 'task of the model (default: "default")',
};
export const CONFIG_OPTION: OptionSpec = {
  type: "string",
  value: "FILE.json",
  help: "export configuration to record beside the model's entries (written last)",
};
export const OPTIMUM_NEURON_VERSION_OPTION: OptionSpec = {
  type: "string",
  value: "V",
  help: "optimum-neuron version export records are filed under (default: NEFF_CACHE_OPTIMUM_NEURON_VERSION or the installed package)",
};

export const TIMEOUT_OPTION: OptionSpec = {
  type: "string",
  value: "DURATION",
  help: "bound the command's store work as a whole, e.g. 90s or 10m; exit 4 when it runs out (default: NEFF_CACHE_TIMEOUT, else none; exec publishes within 10m)",
};

/** The store deadline in milliseconds from --timeout, else NEFF_CACHE_TIMEOUT; undefined for none. */
export function storeTimeoutMs(input: CommandInput, context: Pick<CliContext, "env">): number | undefined {
  const flag = stringOption(input, "timeout");
  const text = flag ?? (context.env.NEFF_CACHE_TIMEOUT || undefined);
  if (text === undefined) return undefined;
  const where = flag === undefined ? "NEFF_CACHE_TIMEOUT" : "--timeout";
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new UsageError(`${where} ${JSON.stringify(text)} is not a duration.`, {
      hint: "Use a number with a unit, e.g. 90s, 10m or 1h.",
      cause: error,
    });
  }
  if (ms <= 0)
    throw new UsageError(`${where} must be longer than zero.`, { hint: "For example --timeout 10m." });
  return ms;
}

/** The local cache dir, or a UsageError saying why there is none. */
export function localCacheDir(input: CommandInput, context: CliContext): string {
  return requireCacheDirUsable(
    requireLocalCacheDir(
      resolveCacheDir({
        cacheDir: stringOption(input, "cache-dir"),
        env: context.env,
        cwd: context.cwd,
        homeDir: context.env.HOME ?? homedir(),
      }),
    ),
  );
}

/** A cache dir that is a file (or lies below one) is a usage error, said before any work starts. */
function requireCacheDirUsable(dir: string): string {
  let info;
  try {
    info = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return dir; // Made when first needed.
    if (code === "ENOTDIR") {
      throw new UsageError(`The cache dir ${dir} lies below a file, not a directory.`, {
        hint: "Pass --cache-dir with a directory (or a path where one can be made).",
      });
    }
    throw new UsageError(`Cannot use the cache dir ${dir}: ${(error as Error).message}.`);
  }
  if (!info.isDirectory()) {
    throw new UsageError(`The cache dir ${dir} is a file, not a directory.`, {
      hint: "Pass --cache-dir with a directory (or a path where one can be made).",
    });
  }
  return dir;
}

/** The compiler version, from the flag, the variable or the installed compiler. */
export async function compilerVersion(input: CommandInput, context: CliContext): Promise<string> {
  const { requireCompilerVersion } = await import("../local/require-compiler-version.ts");
  const found = await requireCompilerVersion({
    compilerVersion: stringOption(input, "compiler-version"),
    env: context.env,
    signal: context.signal,
  });
  return found.version;
}

/** Opens the store named by --bucket, NEURON_CACHE_BUCKET, the bucket file, or the default. */
export async function openCliStore(
  input: CommandInput,
  context: CliContext,
  flag = "bucket",
): Promise<Store> {
  const [{ resolveBucket }, { openStore }] = await Promise.all([
    import("../local/bucket-config.ts"),
    import("../store/open-store.ts"),
  ]);
  const given = input.values[flag];
  const value = Array.isArray(given) ? given[0] : typeof given === "string" ? given : undefined;
  // Tiers in NEURON_CACHE_BUCKET: a command that reads one store reads the first tier.
  const fromEnv = value === undefined ? context.env.NEURON_CACHE_BUCKET?.split(",")[0]?.trim() : undefined;
  const bucket = await resolveBucket({ flag: value ?? fromEnv, env: { ...context.env } });
  const location =
    bucket.location.kind === "dir" && !path.isAbsolute(bucket.location.path)
      ? { kind: "dir" as const, path: path.resolve(context.cwd, bucket.location.path) }
      : bucket.location;
  context.log.debug(`store: ${bucket.value} (from ${bucket.source})`);
  return openStore(location, {
    env: context.env,
    signal: context.signal,
    ...(context.storeStalled ? { onStalled: context.storeStalled } : {}),
  });
}

/** Reads `--config FILE.json` (or another flag's file) as an export configuration; floats stay floats (`1.0`). */
export async function exportConfig(
  input: CommandInput,
  context: CliContext,
  flag = "config",
): Promise<PyJsonObject | undefined> {
  const file = stringOption(input, flag);
  if (file === undefined) return undefined;
  return readExportConfig(file, context);
}

/** The export configuration in `file` (a JSON object, read keeping Python's float vs int). */
export async function readExportConfig(file: string, context: CliContext): Promise<PyJsonObject> {
  const where = path.resolve(context.cwd, file);
  let text: string;
  try {
    // Looked at first: reading a FIFO would block forever, and a huge file would be read whole.
    const info = await stat(where);
    if (!info.isFile()) {
      throw new UsageError(`Config file ${where} is not a regular file.`, {
        hint: "Pass the path of a JSON file (not a directory, FIFO or device).",
      });
    }
    if (info.size > MAX_EXPORT_RECORD_BYTES) {
      throw new UsageError(
        `Config file ${where} has ${info.size} bytes; an export configuration may have at most ${MAX_EXPORT_RECORD_BYTES} (1 MiB).`,
        { hint: "Pass the export configuration itself: a JSON object of a few KiB." },
      );
    }
    text = await readFile(where, "utf8");
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new NotFoundError(`Config file ${where} does not exist.`, {
        hint: "Pass the path of an existing JSON file.",
      });
    throw new UsageError(`Cannot read config file ${where}: ${(error as Error).message}.`, {
      hint: "Pass a JSON file this user can read (check its permissions and the folders above it).",
    });
  }
  const parsed = parsePyJson(text);
  if (!parsed.ok) {
    throw new UsageError(`Config file ${where} is not valid JSON: ${parsed.reason}.`, {
      hint: 'It must hold one JSON object, e.g. {"batch_size": 1, "sequence_length": 4096}.',
    });
  }
  if (!isPyJsonObject(parsed.value)) {
    throw new UsageError(`Config file ${where} must hold a JSON object.`, {
      hint: 'For example {"batch_size": 1, "sequence_length": 4096}.',
    });
  }
  // The record is written indented: it must still be one that `lookup` reads.
  const recordBytes = Buffer.byteLength(exportRecordBody(parsed.value));
  if (recordBytes > MAX_EXPORT_RECORD_BYTES) {
    throw new UsageError(
      `Config file ${where} would make an export record of ${recordBytes} bytes; records may have at most ${MAX_EXPORT_RECORD_BYTES} (1 MiB).`,
      { hint: "Pass the export configuration itself: a JSON object of a few KiB." },
    );
  }
  return parsed.value;
}

/** The optimum-neuron version for export records; required only when a config is given. */
export async function optimumNeuronVersion(input: CommandInput, context: CliContext): Promise<string> {
  const { findOptimumNeuronVersion } = await import("../local/find-optimum-neuron-version.ts");
  const found = await findOptimumNeuronVersion({
    flag: stringOption(input, "optimum-neuron-version"),
    env: context.env,
  });
  if (found !== null) return found;
  throw new UsageError("Cannot tell which optimum-neuron version the export record belongs to.", {
    hint: "Pass --optimum-neuron-version V (e.g. 0.4.6) or set NEFF_CACHE_OPTIMUM_NEURON_VERSION.",
  });
}

/**
 * The tiers named by `--bucket` (repeated, or comma-separated) or a comma-separated
 * NEURON_CACHE_BUCKET, fastest first; one store (resolved as usual) when neither names several.
 */
export async function openCliTiers(input: CommandInput, context: CliContext): Promise<Store[]> {
  const given = input.values.bucket;
  const flags = (Array.isArray(given) ? given : typeof given === "string" ? [given] : []).flatMap(splitTiers);
  const values = flags.length > 0 ? flags : splitTiers(context.env.NEURON_CACHE_BUCKET ?? "");
  if (values.length <= 1) return [await openCliStore(input, context)];
  const stores: Store[] = [];
  try {
    for (const value of values) {
      stores.push(await openCliStore({ ...input, values: { ...input.values, bucket: value } }, context));
    }
  } catch (error) {
    for (const store of stores) await store.close().catch(() => undefined);
    throw error;
  }
  return stores;
}

/** Opens `--publish-to`, or returns null when it is not given. */
export async function openCliPublishTo(input: CommandInput, context: CliContext): Promise<Store | null> {
  if (stringOption(input, "publish-to") === undefined) return null;
  return openCliStore(input, context, "publish-to");
}

function splitTiers(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}
