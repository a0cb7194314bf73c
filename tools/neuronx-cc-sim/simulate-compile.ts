import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { classifyEntry, type EntryState } from "../../src/layout/classify-entry.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { parseNeuronCcFlags } from "../../src/layout/parse-neuron-cc-flags.ts";
import { resolveCacheDir } from "../../src/layout/resolve-cache-dir.ts";
import { deterministicBytes } from "../synthetic-cache/deterministic-bytes.ts";
import type { HashStyle } from "./module-name.ts";
import { keyFlags, moduleName, pythonJsonStringList } from "./module-name.ts";

/** The version the simulator reports when none is given. */
export const SIM_DEFAULT_COMPILER_VERSION = "2.21.33363.0+82129205";

export const LOCK_FILE = "model.hlo_module.pb.lock";

export interface SimulateCompileOptions {
  /** The graphs to compile, one entry each. */
  graphs: readonly (Uint8Array | string)[];
  /** Compiler flags (cache flags such as `--cache_dir`, and `--logfile`, are taken out and do not change the key). */
  flags?: readonly string[];
  /** How entries are named. @default "libneuronxla" */
  hashStyle?: HashStyle;
  /** Cache dir; otherwise resolved from `env` like the real compiler. */
  cacheDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  compilerVersion?: string;
  /** How long each compile takes. Default 0. */
  compileMs?: number;
  /** NEFF size in bytes. Default 4096. */
  neffBytes?: number;
  /** Make compiles fail (a `model.log`, no NEFF). */
  fail?: boolean;
  /** Compile cached failures again (`--retry_failed_compilation`). */
  retryFailed?: boolean;
  /** Poll interval while another process holds an entry's lock. Default 25 ms. */
  lockPollMs?: number;
  /** Give up waiting for a lock after this long. Default 10 minutes. */
  lockTimeoutMs?: number;
  signal?: AbortSignal;
}

/** What happened to one graph. */
export type SimulatedOutcome = "hit" | "compiled" | "cached-failure" | "failed" | "uncached";

export interface SimulatedModule {
  name: string;
  /** Entry dir, or null when caching is off. */
  path: string | null;
  outcome: SimulatedOutcome;
  /** The process waited for another one's lock on this entry. */
  waitedForLock: boolean;
}

export interface SimulateCompileResult {
  cacheDir: string | null;
  compilerVersion: string;
  modules: SimulatedModule[];
  /** 0 when every graph has a NEFF, 1 otherwise (as the compiler exits). */
  exitCode: 0 | 1;
}

/**
 * Behaves like `neuronx-cc` (through its caching wrapper) toward the compile cache: a success
 * entry is a hit; a cached failure fails again unless retried; otherwise it takes the entry's
 * lock (created exclusively; if another process holds it, it waits and looks again), "compiles",
 * writes the HLO, flags, NEFF and done marker (or a log on failure) and releases the lock.
 */
export async function simulateCompile(options: SimulateCompileOptions): Promise<SimulateCompileResult> {
  const env = options.env ?? {};
  const envFlags = parseNeuronCcFlags(env["NEURON_CC_FLAGS"]);
  const given = parseNeuronCcFlags((options.flags ?? []).map(quote).join(" "));
  const flags = keyFlags([...envFlags.compilerFlags, ...given.compilerFlags]);
  const retryFailed = options.retryFailed || envFlags.retryFailedCompilation || given.retryFailedCompilation;
  const compilerVersion =
    options.compilerVersion ?? env["NEFF_CACHE_COMPILER_VERSION"] ?? SIM_DEFAULT_COMPILER_VERSION;
  const resolution = resolveCacheDir({
    cacheDir: options.cacheDir ?? given.cacheDir ?? undefined,
    env: given.noCache ? { ...env, NEURON_CC_FLAGS: "--no_cache" } : env,
    cwd: options.cwd ?? process.cwd(),
    homeDir: os.homedir(),
  });
  const cacheDir = resolution.kind === "local" ? resolution.path : null;
  const result: SimulateCompileResult = { cacheDir, compilerVersion, modules: [], exitCode: 0 };

  for (const graph of options.graphs) {
    const bytes = typeof graph === "string" ? Buffer.from(graph) : graph;
    const name = moduleName(bytes, flags, options.hashStyle);
    if (cacheDir === null) {
      await sleep(options.compileMs ?? 0, undefined, { signal: options.signal });
      result.modules.push({
        name,
        path: null,
        outcome: options.fail ? "failed" : "uncached",
        waitedForLock: false,
      });
      if (options.fail) result.exitCode = 1;
      continue;
    }
    const entryDir = path.join(cacheDir, compilerVersionDir(compilerVersion), name);
    const module = await compileOne(entryDir, bytes, flags, { ...options, retryFailed });
    result.modules.push({ name, path: entryDir, ...module });
    if (module.outcome === "failed" || module.outcome === "cached-failure") result.exitCode = 1;
  }
  return result;
}

async function compileOne(
  entryDir: string,
  graph: Uint8Array,
  flags: readonly string[],
  options: SimulateCompileOptions,
): Promise<{ outcome: SimulatedOutcome; waitedForLock: boolean }> {
  const pollMs = options.lockPollMs ?? 25;
  const deadline = Date.now() + (options.lockTimeoutMs ?? 600_000);
  let waitedForLock = false;
  for (;;) {
    const state = await entryState(entryDir);
    if (state === "success") return { outcome: "hit", waitedForLock };
    if (state === "failed" && !options.retryFailed) return { outcome: "cached-failure", waitedForLock };
    await fsp.mkdir(entryDir, { recursive: true });
    const lockPath = path.join(entryDir, LOCK_FILE);
    let lock: fsp.FileHandle;
    try {
      lock = await fsp.open(lockPath, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      waitedForLock = true;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for the lock ${lockPath}`, { cause: error });
      await sleep(pollMs, undefined, { signal: options.signal });
      continue;
    }
    try {
      await lock.close();
      // Someone may have finished between the look and the lock.
      const now = await entryState(entryDir);
      if (now === "success") return { outcome: "hit", waitedForLock };
      if (now === "failed" && !options.retryFailed) return { outcome: "cached-failure", waitedForLock };
      await fsp.rm(path.join(entryDir, "model.log"), { force: true });
      await fsp.writeFile(path.join(entryDir, "model.hlo_module.pb"), graph);
      await fsp.writeFile(path.join(entryDir, "compile_flags.json"), pythonJsonStringList(flags));
      await sleep(options.compileMs ?? 0, undefined, { signal: options.signal });
      if (options.fail) {
        await fsp.writeFile(
          path.join(entryDir, "model.log"),
          `ERROR: simulated compilation failure for ${path.basename(entryDir)}\n`,
        );
        return { outcome: "failed", waitedForLock };
      }
      const key = path.basename(entryDir);
      await fsp.writeFile(
        path.join(entryDir, "model.neff"),
        deterministicBytes(key, options.neffBytes ?? 4096),
      );
      await fsp.writeFile(path.join(entryDir, "model.done"), "");
      return { outcome: "compiled", waitedForLock };
    } finally {
      await fsp.rm(lockPath, { force: true });
    }
  }
}

async function entryState(entryDir: string): Promise<EntryState | null> {
  try {
    return classifyEntry(await fsp.readdir(entryDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
