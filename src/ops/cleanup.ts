import os from "node:os";
import path from "node:path";
import { BusyError, UsageError } from "../errors.ts";
import { planCleanup, type RemovalReason } from "../layout/plan-cleanup.ts";
import { requireLocalCacheDir } from "../layout/require-local-cache-dir.ts";
import { resolveCacheDir } from "../layout/resolve-cache-dir.ts";
import { errorCode } from "../local/error-code.ts";
import { findCompilerProcesses, type CompilerProcess } from "../local/find-compiler-processes.ts";
import { findCompilerVersion, type RunCommand } from "../local/find-compiler-version.ts";
import { requireCompilerVersion } from "../local/require-compiler-version.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import { nodeLocalFs, type LocalFs } from "../local/local-fs.ts";
import { removeDirAtomically } from "../local/remove-dir-atomically.ts";
import { scanCache, treeSize, type ScanProblem } from "../local/scan-cache.ts";

export interface CleanupOptions {
  /** Explicit cache dir (`--cache-dir`); otherwise resolved from the environment like the compiler does. */
  cacheDir?: string | undefined;
  /** Current compiler version; needed only by `oldVersions`. */
  compilerVersion?: string | undefined;
  /** Environment to resolve from (the CLI passes `process.env`). */
  env: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  homeDir?: string;
  /** Remove failed entries. Default true. */
  failed?: boolean;
  /** Remove lock files of locked entries (the entry dirs stay). Default true. */
  locks?: boolean;
  /** Remove empty entries. Default false. */
  empty?: boolean;
  /** Remove every compiler-version dir but the current one. Default false. */
  oldVersions?: boolean;
  /** Remove the whole cache dir. Allowed while a compiler runs. Default false. */
  wipe?: boolean;
  /** Change nothing; report exactly what would be removed. Default false. */
  dryRun?: boolean;
  /** Evict least-recently-used success entries until the entries total at most this many bytes. */
  maxSizeBytes?: number | undefined;
  /** Evict success entries not used for this many milliseconds. */
  unusedForMs?: number | undefined;
  /** Clean even while a compiler runs. Default false. */
  force?: boolean;
  /** "Now" for `unusedForMs`. Default the current time. */
  now?: Date;
  /** Lists running compilers (tests inject). Default reads /proc. */
  findCompilerProcesses?: () => Promise<CompilerProcess[]>;
  /** Program runner for version detection (tests). */
  run?: RunCommand;
  fs?: LocalFs;
  concurrency?: number;
  signal?: AbortSignal;
}

/** Why something was (or would be) removed. */
export type CleanupRemovalReason = RemovalReason | "lock" | "old-version" | "trash" | "wipe";

/** One removed item. */
export interface CleanupRemoval {
  path: string;
  reason: CleanupRemovalReason;
  sizeBytes: number;
}

/** An item that could not be removed; it was left as it was. */
export interface CleanupError {
  path: string;
  code: string;
  message: string;
}

/** What a cleanup did (or, with `dryRun`, would do); plain data. */
export interface CleanupResult {
  cacheDir: string;
  dryRun: boolean;
  wiped: boolean;
  failedRemoved: number;
  locksRemoved: number;
  emptyRemoved: number;
  /** Success entries evicted by `maxSizeBytes` or `unusedForMs`. */
  evicted: number;
  /** Names of removed compiler-version dirs. */
  oldVersionsRemoved: string[];
  /** Leftovers of interrupted deletes that were removed. */
  trashRemoved: number;
  bytesFreed: number;
  /** Bytes of entries left afterwards (as `status` counts them). */
  remainingBytes: number;
  /** Compilers running at the time (cleanup went ahead only with `force`, `dryRun` or `wipe`). */
  compilerProcesses: CompilerProcess[];
  removed: CleanupRemoval[];
  /** Items that could not be removed; non-empty means a partial cleanup. */
  errors: CleanupError[];
  /** Entries the scan could not read (so could not classify); they were left alone. */
  problems: ScanProblem[];
}

const DEFAULT_CONCURRENCY = 16;

/**
 * Cleans the local compile cache: by default removes failed entries (so they compile again)
 * and the lock files of locked entries. Optional: empty entries, old compiler versions, local
 * eviction of least-recently-used success entries, or a wipe. Refuses with a BusyError while a
 * compiler runs (except for a wipe or a dry run) unless `force` is set. Every removed dir is
 * first renamed out of sight, so a crash never leaves a half-deleted entry. An item that cannot
 * be removed is listed in `errors` and left untouched; the rest goes on.
 */
export async function cleanup(options: CleanupOptions): Promise<CleanupResult> {
  const fs = options.fs ?? nodeLocalFs;
  const dryRun = options.dryRun ?? false;
  const cacheDir = requireLocalCacheDir(
    resolveCacheDir({
      cacheDir: options.cacheDir,
      env: options.env,
      cwd: options.cwd ?? process.cwd(),
      homeDir: options.homeDir ?? os.homedir(),
    }),
  );
  if (options.wipe && (options.maxSizeBytes !== undefined || options.unusedForMs !== undefined)) {
    throw new UsageError("--wipe removes everything; it cannot be combined with --max-size or --unused-for.");
  }
  if (options.maxSizeBytes !== undefined && !(options.maxSizeBytes >= 0)) {
    throw new UsageError(`Invalid maximum size ${options.maxSizeBytes}.`, {
      hint: "Give a size such as 50G.",
    });
  }
  if (options.unusedForMs !== undefined && !(options.unusedForMs >= 0)) {
    throw new UsageError(`Invalid duration ${options.unusedForMs} ms.`, {
      hint: "Give a duration such as 30d.",
    });
  }
  const result: CleanupResult = {
    cacheDir,
    dryRun,
    wiped: false,
    failedRemoved: 0,
    locksRemoved: 0,
    emptyRemoved: 0,
    evicted: 0,
    oldVersionsRemoved: [],
    trashRemoved: 0,
    bytesFreed: 0,
    remainingBytes: 0,
    compilerProcesses: [],
    removed: [],
    errors: [],
    problems: [],
  };

  if (options.wipe) return wipe(fs, cacheDir, result);

  const processes = await (options.findCompilerProcesses ?? (() => findCompilerProcesses()))();
  result.compilerProcesses = processes;
  if (processes.length > 0 && !dryRun && !options.force) {
    const list = processes.map((p) => `${p.name} (pid ${p.pid})`).join(", ");
    throw new BusyError(
      `A Neuron compiler is running: ${list}. Cleaning the cache now could remove a lock or an entry it is using.`,
      {
        hint: "Wait for the compile to finish, or pass --force to clean anyway (--dry-run shows what would go).",
      },
    );
  }

  const currentVersion = options.oldVersions
    ? (
        await requireCompilerVersion({
          compilerVersion: options.compilerVersion,
          env: options.env,
          run: options.run,
        })
      ).version
    : ((
        await findCompilerVersion({
          compilerVersion: options.compilerVersion,
          env: options.env,
          detect: false,
        })
      )?.version ?? null);

  const evicting = options.maxSizeBytes !== undefined || options.unusedForMs !== undefined;
  const scan = await scanCache({ cacheDir, fs, usage: evicting, signal: options.signal });
  if (!scan.exists) return result;
  result.problems = scan.problems;

  const plan = planCleanup(scan, {
    failed: options.failed ?? true,
    locks: options.locks ?? true,
    empty: options.empty ?? false,
    oldVersions: options.oldVersions ?? false,
    currentVersion,
    maxSizeBytes: options.maxSizeBytes ?? null,
    unusedForMs: options.unusedForMs ?? null,
    nowMs: (options.now ?? new Date()).getTime(),
  });
  result.remainingBytes = plan.remainingBytes;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;

  // Leftovers of interrupted deletes are hidden already; removing them changes nothing a
  // reader can see, so it happens on every cleanup.
  await forEachConcurrent(scan.trash, concurrency, async (trashPath) => {
    let size = 0;
    try {
      size = treeSize(fs, trashPath);
    } catch {
      // Unreadable trash still gets removed; its size is just not counted.
    }
    if (!dryRun) {
      try {
        await fs.rm(trashPath, { recursive: true, force: true });
      } catch (error) {
        result.errors.push(failure(trashPath, error));
        return;
      }
    }
    record(result, { path: trashPath, reason: "trash", sizeBytes: size });
    result.trashRemoved += 1;
  });

  for (const versionDir of plan.oldVersionDirs) {
    options.signal?.throwIfAborted();
    const versionPath = path.join(cacheDir, versionDir);
    let size: number;
    try {
      size = treeSize(fs, versionPath);
      if (!dryRun) await removeDirAtomically(versionPath, { fs });
    } catch (error) {
      result.errors.push(failure(versionPath, error));
      continue;
    }
    record(result, { path: versionPath, reason: "old-version", sizeBytes: size });
    result.oldVersionsRemoved.push(versionDir);
  }

  const outcomes = new Array<boolean>(plan.entries.length).fill(false);
  await forEachConcurrent(
    plan.entries,
    concurrency,
    async ({ entry }, index) => {
      if (!dryRun) {
        try {
          await removeDirAtomically(entry.path, { fs });
        } catch (error) {
          if (errorCode(error) !== "ENOENT") result.errors.push(failure(entry.path, error));
          return;
        }
      }
      outcomes[index] = true;
    },
    options.signal,
  );
  // Recorded in plan order so the report lists evictions least-recently-used first.
  plan.entries.forEach(({ entry, reason }, index) => {
    if (!outcomes[index]) {
      result.remainingBytes += entry.sizeBytes;
      return;
    }
    record(result, { path: entry.path, reason, sizeBytes: entry.sizeBytes });
    if (reason === "failed") result.failedRemoved += 1;
    else if (reason === "empty") result.emptyRemoved += 1;
    else result.evicted += 1;
  });

  for (const lock of plan.locks) {
    const lockPath = path.join(lock.entry.path, lock.name);
    if (!dryRun) {
      try {
        await fs.unlink(lockPath);
      } catch (error) {
        // A lock that is gone was released by its compile: nothing to count.
        if (errorCode(error) !== "ENOENT") result.errors.push(failure(lockPath, error));
        continue;
      }
    }
    record(result, { path: lockPath, reason: "lock", sizeBytes: lock.sizeBytes });
    result.locksRemoved += 1;
  }
  return result;
}

async function wipe(fs: LocalFs, cacheDir: string, result: CleanupResult): Promise<CleanupResult> {
  let size: number;
  let isLink: boolean;
  try {
    isLink = fs.lstatSync(cacheDir).isSymbolicLink();
    // Reading it tells a directory (or a link to one) from anything else.
    fs.readdirTypedSync(cacheDir);
    size = treeSize(fs, cacheDir);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") return result;
    if (code === "ENOTDIR") {
      throw new UsageError(`The cache path ${cacheDir} is not a directory.`, {
        hint: "Pass --cache-dir DIR with the compile cache directory.",
      });
    }
    throw error;
  }
  if (!result.dryRun) {
    // A linked cache dir is emptied (removing the link would leave every byte behind); a real
    // one moves aside whole, unless it cannot move (a mount point, a read-only parent).
    let emptied = isLink;
    if (!isLink) {
      try {
        await removeDirAtomically(cacheDir, { fs });
      } catch {
        emptied = true;
      }
    }
    if (emptied) {
      for (const child of fs.readdirTypedSync(cacheDir)) {
        const childPath = path.join(cacheDir, child.name);
        try {
          if (child.isDirectory()) await removeDirAtomically(childPath, { fs });
          else await fs.unlink(childPath);
        } catch (error) {
          result.errors.push(failure(childPath, error));
        }
      }
      if (result.errors.length > 0) return result;
    }
  }
  result.wiped = true;
  record(result, { path: cacheDir, reason: "wipe", sizeBytes: size });
  return result;
}

function record(result: CleanupResult, removal: CleanupRemoval): void {
  result.removed.push(removal);
  result.bytesFreed += removal.sizeBytes;
}

function failure(itemPath: string, error: unknown): CleanupError {
  return {
    path: itemPath,
    code: errorCode(error) ?? "EIO",
    message: error instanceof Error ? error.message : String(error),
  };
}
