import path from "node:path";
import { parseNeuronCcFlags } from "./parse-neuron-cc-flags.ts";

/** The compiler's default cache directory. */
export const DEFAULT_CACHE_DIR = "/var/tmp/neuron-compile-cache";

/** Where the cache location came from, in priority order. */
export type CacheDirSource = "option" | "NEURON_CC_FLAGS" | "NEURON_COMPILE_CACHE_URL" | "default";

/**
 * The resolved compile cache: a local directory, a remote URL the compiler writes to directly
 * (so there is no local cache to manage), or caching switched off.
 */
export type CacheDirResolution =
  | { kind: "local"; path: string; source: CacheDirSource }
  | { kind: "remote"; url: string; source: CacheDirSource; reason: string }
  | { kind: "disabled"; source: "NEURON_CC_FLAGS"; reason: string };

export interface ResolveCacheDirOptions {
  /** An explicit directory (the `--cache-dir` flag); beats every other source. */
  cacheDir?: string | undefined;
  /** The environment to read `NEURON_CC_FLAGS` and `NEURON_COMPILE_CACHE_URL` from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory that relative paths are resolved against. */
  cwd: string;
  /** Expansion of a leading `~`. */
  homeDir: string;
}

/**
 * Resolves the local compile cache the way the compiler does: `--cache_dir` in
 * `NEURON_CC_FLAGS` wins over `NEURON_COMPILE_CACHE_URL`, which wins over the default. An
 * explicit directory beats all three. `--no_cache` in the flags disables caching (unless a
 * directory is given explicitly, since then the user names the directory to work on).
 */
export function resolveCacheDir(options: ResolveCacheDirOptions): CacheDirResolution {
  const { env } = options;
  const explicit = options.cacheDir?.trim();
  if (explicit) return located(explicit, "option", options);

  const flags = parseNeuronCcFlags(env["NEURON_CC_FLAGS"]);
  if (flags.noCache) {
    return {
      kind: "disabled",
      source: "NEURON_CC_FLAGS",
      reason: "caching is disabled: NEURON_CC_FLAGS contains --no_cache",
    };
  }
  if (flags.cacheDir !== null && flags.cacheDir.trim() !== "") {
    return located(flags.cacheDir.trim(), "NEURON_CC_FLAGS", options);
  }
  const url = env["NEURON_COMPILE_CACHE_URL"]?.trim();
  if (url) return located(url, "NEURON_COMPILE_CACHE_URL", options);
  return { kind: "local", path: DEFAULT_CACHE_DIR, source: "default" };
}

function located(value: string, source: CacheDirSource, options: ResolveCacheDirOptions): CacheDirResolution {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === "file") {
    return {
      kind: "local",
      path: path.resolve(options.cwd, decodeURI(value.slice("file://".length))),
      source,
    };
  }
  if (scheme !== undefined) {
    const where = source === "option" ? "--cache-dir" : source;
    return {
      kind: "remote",
      url: value,
      source,
      reason: `no local cache: the compiler caches directly in ${scheme === "s3" ? "S3" : scheme} (${where}=${value})`,
    };
  }
  let local = value;
  if (local === "~") local = options.homeDir;
  else if (local.startsWith("~/")) local = path.join(options.homeDir, local.slice(2));
  return { kind: "local", path: path.resolve(options.cwd, local), source };
}
