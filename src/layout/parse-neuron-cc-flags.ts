import { splitShellWords } from "./split-shell-words.ts";

/** What `NEURON_CC_FLAGS` says about the compile cache. */
export interface NeuronCcCacheFlags {
  /** The value of the last `--cache_dir` (`=VALUE` or a separate word), verbatim; null when absent. */
  cacheDir: string | null;
  /** `--no_cache` (documented) or `--no-cache` (what some tools write) is present. */
  noCache: boolean;
  /** `--retry_failed_compilation` is present: cached failures are compiled again. */
  retryFailedCompilation: boolean;
  /** Every other word, in order: the flags that reach the compiler itself. */
  compilerFlags: string[];
}

const CACHE_DIR_FLAGS = new Set(["--cache_dir", "--cache-dir"]);
const NO_CACHE_FLAGS = new Set(["--no_cache", "--no-cache"]);
const RETRY_FLAGS = new Set(["--retry_failed_compilation", "--retry-failed-compilation"]);

/**
 * Reads the cache-related flags out of a `NEURON_CC_FLAGS` string. The string is tokenised like
 * a shell would, so quoted paths with spaces, dots and `~` survive intact (a plain regex on the
 * raw string truncates `--cache_dir=/data/cache.v2` at the dot).
 */
export function parseNeuronCcFlags(flags: string | undefined): NeuronCcCacheFlags {
  const result: NeuronCcCacheFlags = {
    cacheDir: null,
    noCache: false,
    retryFailedCompilation: false,
    compilerFlags: [],
  };
  const words = splitShellWords(flags ?? "");
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    const eq = word.indexOf("=");
    const name = eq === -1 ? word : word.slice(0, eq);
    if (CACHE_DIR_FLAGS.has(name)) {
      if (eq !== -1) {
        result.cacheDir = word.slice(eq + 1);
      } else if (i + 1 < words.length) {
        result.cacheDir = words[i + 1] as string;
        i += 1;
      }
    } else if (NO_CACHE_FLAGS.has(word)) {
      result.noCache = true;
    } else if (RETRY_FLAGS.has(word)) {
      result.retryFailedCompilation = true;
    } else {
      result.compilerFlags.push(word);
    }
  }
  return result;
}
