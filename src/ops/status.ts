import os from "node:os";
import { ENTRY_STATES, type EntryState } from "../layout/classify-entry.ts";
import { COMPILER_DIR_PREFIX } from "../layout/cache-layout.ts";
import { isCurrentVersionDir } from "../layout/compiler-version.ts";
import { resolveCacheDir, type CacheDirSource } from "../layout/resolve-cache-dir.ts";
import {
  findCompilerVersion,
  type CompilerVersionSource,
  type RunCommand,
} from "../local/find-compiler-version.ts";
import type { LocalFs } from "../local/local-fs.ts";
import { scanCache, type ScanProblem } from "../local/scan-cache.ts";

export interface StatusOptions {
  /** Explicit cache dir (`--cache-dir`); otherwise resolved from the environment like the compiler does. */
  cacheDir?: string | undefined;
  /** Current compiler version (`--compiler-version`); otherwise `NEFF_CACHE_COMPILER_VERSION` or detection. */
  compilerVersion?: string | undefined;
  /** Environment to resolve from (the CLI passes `process.env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths. Default `process.cwd()`. */
  cwd?: string;
  /** Expansion of `~`. Default `os.homedir()`. */
  homeDir?: string;
  /** Include the per-entry list. Default false. */
  entries?: boolean;
  /** Run the installed compiler to learn its version when neither flag nor variable gives one. Default true. */
  detectCompilerVersion?: boolean;
  /** Program runner for detection (tests). */
  run?: RunCommand;
  fs?: LocalFs;
  signal?: AbortSignal;
}

/** One compiler-version dir. `unknown` when the current compiler version is not known. */
export interface StatusVersion {
  dir: string;
  version: string;
  status: "current" | "old" | "unknown";
  entryCount: number;
  sizeBytes: number;
}

/** One entry, listed when asked for. */
export interface StatusEntry {
  path: string;
  versionDir: string;
  name: string;
  state: EntryState;
  sizeBytes: number;
}

/** The local cache at a glance; plain data. */
export interface StatusResult {
  /** The local cache dir, or null when there is none (remote cache or caching disabled). */
  cacheDir: string | null;
  cacheDirSource: CacheDirSource;
  /** Why there is no local cache, e.g. "no local cache: the compiler caches directly in S3 (…)". */
  note: string | null;
  /** Whether the cache dir exists. */
  exists: boolean;
  /** The current compiler version, or null when unknown (then every version is "unknown"). */
  currentCompilerVersion: string | null;
  compilerVersionSource: CompilerVersionSource | null;
  compilerVersions: StatusVersion[];
  counts: Record<EntryState, number>;
  sizes: Record<EntryState, number>;
  /** Bytes of all entries. */
  totalBytes: number;
  /** Bytes of entries in version dirs that are not the current compiler's. */
  oldVersionBytes: number;
  /** Things that could not be read (permissions, symlinks not followed). */
  problems: ScanProblem[];
  /** Per-entry list, only when `entries: true`. */
  entries?: StatusEntry[];
}

/**
 * Reports what the local compile cache holds: entries per state with their bytes, per
 * compiler version, and which versions are old. Works without knowing the compiler version.
 */
export async function status(options: StatusOptions): Promise<StatusResult> {
  const resolution = resolveCacheDir({
    cacheDir: options.cacheDir,
    env: options.env,
    cwd: options.cwd ?? process.cwd(),
    homeDir: options.homeDir ?? os.homedir(),
  });
  const version = await findCompilerVersion({
    compilerVersion: options.compilerVersion,
    env: options.env,
    detect: options.detectCompilerVersion ?? true,
    run: options.run,
    signal: options.signal,
  });
  const result: StatusResult = {
    cacheDir: resolution.kind === "local" ? resolution.path : null,
    cacheDirSource: resolution.source,
    note: resolution.kind === "local" ? null : resolution.reason,
    exists: false,
    currentCompilerVersion: version?.version ?? null,
    compilerVersionSource: version?.source ?? null,
    compilerVersions: [],
    counts: zeroByState(),
    sizes: zeroByState(),
    totalBytes: 0,
    oldVersionBytes: 0,
    problems: [],
  };
  if (options.entries) result.entries = [];
  if (resolution.kind !== "local") return result;

  const scan = await scanCache({
    cacheDir: resolution.path,
    fs: options.fs,
    signal: options.signal,
  });
  result.exists = scan.exists;
  result.problems = scan.problems;
  const byDir = new Map<string, StatusVersion>();
  for (const dir of scan.versionDirs) {
    const info: StatusVersion = {
      dir,
      version: dir.slice(COMPILER_DIR_PREFIX.length),
      status: version === null ? "unknown" : isCurrentVersionDir(dir, version.version) ? "current" : "old",
      entryCount: 0,
      sizeBytes: 0,
    };
    byDir.set(dir, info);
    result.compilerVersions.push(info);
  }
  for (const entry of scan.entries) {
    result.counts[entry.state] += 1;
    result.sizes[entry.state] += entry.sizeBytes;
    result.totalBytes += entry.sizeBytes;
    const info = byDir.get(entry.versionDir);
    if (info) {
      info.entryCount += 1;
      info.sizeBytes += entry.sizeBytes;
      if (info.status === "old") result.oldVersionBytes += entry.sizeBytes;
    }
    result.entries?.push({
      path: entry.path,
      versionDir: entry.versionDir,
      name: entry.name,
      state: entry.state,
      sizeBytes: entry.sizeBytes,
    });
  }
  return result;
}

function zeroByState(): Record<EntryState, number> {
  return Object.fromEntries(ENTRY_STATES.map((state) => [state, 0])) as Record<EntryState, number>;
}
