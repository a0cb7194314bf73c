/**
 * Which bucket to use, resolved as optimum-neuron does: `--bucket`, then `NEURON_CACHE_BUCKET`,
 * then the file `$HF_HOME/optimum_neuron_cache_bucket`, then the public default. `set` writes
 * that same file, so both tools follow one `set`.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { parseStoreUrl } from "../layout/store-url.ts";
import type { StoreLocation } from "../layout/store-url.ts";

/** optimum-neuron's public cache bucket. */
export const DEFAULT_BUCKET = "aws-neuron/optimum-neuron-neff-cache";
/** Name of the file under `$HF_HOME` that holds the configured bucket. */
export const BUCKET_FILE_NAME = "optimum_neuron_cache_bucket";
/** Environment variable that overrides the file. */
export const BUCKET_ENV = "NEURON_CACHE_BUCKET";

/** Where the bucket value came from. */
export type BucketSource = "flag" | "env" | "file" | "default";

export interface ResolveBucketOptions {
  /** The `--bucket` value, if any. */
  flag?: string;
  /** Environment to read (`NEURON_CACHE_BUCKET`, `HF_HOME`, `XDG_CACHE_HOME`, `HOME`). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Reads a text file, returning null when it does not exist. @default node:fs */
  readFile?: (path: string) => Promise<string | null>;
}

export interface ResolvedBucket {
  /** The bucket or store reference as given (trimmed). */
  value: string;
  source: BucketSource;
  /** The bucket file consulted (when `source` is "file" or "default"). */
  file?: string;
  location: StoreLocation;
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (`~` expanded). */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = homeDir(env);
  const explicit = nonEmpty(env.HF_HOME);
  if (explicit !== undefined) return expandHome(explicit, home);
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  return join(xdg !== undefined ? expandHome(xdg, home) : join(home, ".cache"), "huggingface");
}

/** The path of the bucket file for this environment. */
export function bucketFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(hfHome(env), BUCKET_FILE_NAME);
}

/**
 * Resolves the bucket to use and says where it came from. An empty flag, variable or file counts
 * as unset (optimum-neuron treats an empty `XDG_CACHE_HOME` as a relative path; we treat it as
 * unset). Throws a UsageError naming the source when the chosen value is not a valid bucket id
 * or store URL.
 */
export async function resolveBucket(options: ResolveBucketOptions = {}): Promise<ResolvedBucket> {
  const env = options.env ?? process.env;
  const read = options.readFile ?? readTextFile;
  const home = homeDir(env);
  const flag = nonEmpty(options.flag);
  if (flag !== undefined) return resolved(flag, "flag", home, "--bucket");
  const fromEnv = nonEmpty(env[BUCKET_ENV]);
  if (fromEnv !== undefined) return resolved(fromEnv, "env", home, BUCKET_ENV);
  const file = bucketFilePath(env);
  const fromFile = nonEmpty(await read(file));
  if (fromFile !== undefined) return { ...resolved(fromFile, "file", home, file), file };
  return { ...resolved(DEFAULT_BUCKET, "default", home, "the default"), file };
}

export interface SetBucketOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface SetBucketResult {
  /** The value written. */
  bucket: string;
  /** The file written. */
  file: string;
  /** The value the file held before, or null. */
  previous: string | null;
  /**
   * Whether optimum-neuron can use this value too: it only understands Hugging Face bucket ids
   * (`namespace/name`), so an `s3://` or directory store applies to this tool alone.
   */
  readableByOptimumNeuron: boolean;
}

/**
 * Validates `value` and writes it to `$HF_HOME/optimum_neuron_cache_bucket` as optimum-neuron
 * does: the bare value, no trailing newline. An `hf://buckets/<ns>/<name>` URL without a prefix is
 * written as the bare id `<ns>/<name>` so optimum-neuron reads it too. Unlike optimum-neuron,
 * `$HF_HOME` is created when missing, and the file is replaced atomically (temp file + rename).
 */
export async function setBucket(value: string, options: SetBucketOptions = {}): Promise<SetBucketResult> {
  const env = options.env ?? process.env;
  const trimmed = value.trim();
  const location = parseStoreUrl(trimmed, homeDir(env));
  const bareHfId = location.kind === "hf" && location.prefix === "";
  const bucket = bareHfId ? `${location.namespace}/${location.name}` : trimmed;
  const dir = hfHome(env);
  const file = join(dir, BUCKET_FILE_NAME);
  const previous = nonEmpty(await readTextFile(file)) ?? null;
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, bucket, { encoding: "utf8" });
  await rename(temp, file);
  return { bucket, file, previous, readableByOptimumNeuron: bareHfId };
}

// --- internal ---

function resolved(value: string, source: BucketSource, home: string, origin: string): ResolvedBucket {
  try {
    return { value, source, location: parseStoreUrl(value, home) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const where = source === "file" ? `the bucket file ${origin}` : origin;
    const fix =
      source === "env"
        ? `Fix or unset ${BUCKET_ENV}.`
        : source === "file"
          ? "Run `neff-cache set <bucket>` to rewrite it."
          : "";
    throw new UsageError(`${error.message.replace(/\.$/, "")} (from ${where}).`, {
      hint: [fix, error.hint ?? ""].filter((part) => part !== "").join(" "),
      cause: error,
    });
  }
}

async function readTextFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw error;
  }
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.HOME) ?? homedir();
}

function expandHome(path: string, home: string): string {
  return path === "~" || path.startsWith("~/") ? home + path.slice(1) : path;
}
