import type { Dirent } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.ts";
import { classifyEntry, type EntryState } from "../layout/classify-entry.ts";
import { COMPILER_DIR_PREFIX } from "../layout/cache-layout.ts";
import { isTrashName } from "../layout/trash-name.ts";
import { errorCode } from "./error-code.ts";
import { nodeLocalFs, type LocalFs } from "./local-fs.ts";

/** One `MODULE_*` dir found by a scan. */
export interface ScannedEntry {
  /** Name of its compiler-version dir, e.g. `neuronxcc-2.21.33363.0+82129205`. */
  versionDir: string;
  /** The entry dir name, e.g. `MODULE_98ba4c9111d5882d2331+39f12043`. */
  name: string;
  /** Absolute path of the entry dir. */
  path: string;
  state: EntryState;
  /** Names directly inside the entry, sorted. */
  files: string[];
  /**
   * Bytes under the entry: the `st_size` of every non-directory inside it, recursively, taken
   * with lstat, so a symlink counts its own size and is never followed. 0 when sizes were not asked for.
   */
  sizeBytes: number;
  /** Top-level `*.lock` files with their sizes. */
  lockFiles: { name: string; sizeBytes: number }[];
  /**
   * When the entry was last used, in ms since the epoch: the newest of the entry dir's mtime and
   * `model.neff`'s mtime and atime. Installing or compiling an entry touches the dir, reading
   * the NEFF touches its atime (where the mount records it), and `markEntryUsed` sets the dir
   * times explicitly. 0 when usage was not asked for.
   */
  lastUsedMs: number;
}

/** Something the scan could not read; the rest of the scan goes on. */
export interface ScanProblem {
  path: string;
  /** The system error code, e.g. `EACCES`, or `SYMLINK` for a link that was not followed. */
  code: string;
  message: string;
}

/** Everything a scan saw under the cache root. */
export interface CacheScan {
  cacheDir: string;
  /** False when the cache dir does not exist (then everything else is empty). */
  exists: boolean;
  /** `neuronxcc-*` dir names, sorted. */
  versionDirs: string[];
  /** Entries sorted by version dir, then name. */
  entries: ScannedEntry[];
  /** Leftovers of interrupted deletes (hidden trash dirs), absolute paths. */
  trash: string[];
  problems: ScanProblem[];
}

export interface ScanCacheOptions {
  /** The cache root (absolute). */
  cacheDir: string;
  /** Measure entry sizes (lstat of every file). Default true. */
  sizes?: boolean;
  /** Read last-use times (`lastUsedMs`). Default false. */
  usage?: boolean;
  /** Read only this compiler-version dir (e.g. `neuronxcc-2.21.33363.0+82129205`). */
  onlyVersionDir?: string;
  /** Read only entries with these names. */
  onlyModules?: ReadonlySet<string>;
  signal?: AbortSignal;
  fs?: LocalFs;
}

// Entries read between two yields to the event loop: long enough to amortise the yield,
// short enough (a few ms) that timers, signals and progress output stay responsive.
const ENTRIES_PER_SLICE = 256;

/**
 * Walks `<cacheDir>/neuronxcc-*\/MODULE_*` and classifies every entry. Dirs other than
 * `neuronxcc-*` at the root and `MODULE_*` in a version dir (such as `0_REGISTRY`) are
 * ignored. Symlinks are never followed: a symlinked version or entry dir is reported as a
 * problem and skipped, and a symlink inside an entry counts its own size. Entries that vanish
 * during the walk are skipped; entries that change are read again once. A missing cache dir
 * gives an empty scan with `exists: false`; a cache path that is a file, or an unreadable root,
 * is a UsageError.
 */
export async function scanCache(options: ScanCacheOptions): Promise<CacheScan> {
  const fs = options.fs ?? nodeLocalFs;
  const sizes = options.sizes ?? true;
  const usage = options.usage ?? false;
  const { cacheDir, signal } = options;
  const scan: CacheScan = { cacheDir, exists: false, versionDirs: [], entries: [], trash: [], problems: [] };

  let rootItems: Dirent[];
  try {
    rootItems = fs.readdirTypedSync(cacheDir);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") return scan;
    if (code === "ENOTDIR") {
      throw new UsageError(`The cache path ${cacheDir} is not a directory.`, {
        hint: "Pass --cache-dir DIR with the compile cache directory.",
      });
    }
    throw new UsageError(`Cannot read the cache directory ${cacheDir}: ${errorMessage(error)}.`, {
      hint: "Check its permissions, or pass --cache-dir DIR to use another directory.",
      cause: error,
    });
  }
  scan.exists = true;

  const versionDirs: string[] = [];
  for (const item of rootItems) {
    if (isTrashName(item.name)) {
      scan.trash.push(path.join(cacheDir, item.name));
      continue;
    }
    if (!item.name.startsWith(COMPILER_DIR_PREFIX)) continue;
    if (options.onlyVersionDir !== undefined && item.name !== options.onlyVersionDir) continue;
    const kind = direntKind(fs, cacheDir, item);
    if (kind === "symlink") scan.problems.push(symlinkProblem(path.join(cacheDir, item.name)));
    else if (kind === "dir") versionDirs.push(item.name);
  }
  versionDirs.sort(compare);
  scan.versionDirs = versionDirs;

  let sinceYield = 0;
  for (const versionDir of versionDirs) {
    const versionPath = path.join(cacheDir, versionDir);
    let items: Dirent[];
    try {
      items = fs.readdirTypedSync(versionPath);
    } catch (error) {
      if (!isVanished(error)) scan.problems.push(problem(versionPath, error));
      continue;
    }
    const names: string[] = [];
    for (const item of items) {
      if (isTrashName(item.name)) {
        scan.trash.push(path.join(versionPath, item.name));
        continue;
      }
      if (!item.name.startsWith("MODULE_")) continue;
      if (options.onlyModules !== undefined && !options.onlyModules.has(item.name)) continue;
      const kind = direntKind(fs, versionPath, item);
      if (kind === "symlink") scan.problems.push(symlinkProblem(path.join(versionPath, item.name)));
      else if (kind === "dir") names.push(item.name);
    }
    names.sort(compare);
    for (const name of names) {
      if (++sinceYield >= ENTRIES_PER_SLICE) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
      }
      const entryPath = path.join(versionPath, name);
      try {
        scan.entries.push(readEntry(fs, entryPath, versionDir, name, sizes, usage));
      } catch (error) {
        if (!isVanished(error)) scan.problems.push(problem(entryPath, error));
      }
    }
  }
  signal?.throwIfAborted();
  scan.problems.sort((a, b) => compare(a.path, b.path));
  return scan;
}

function readEntry(
  fs: LocalFs,
  entryPath: string,
  versionDir: string,
  name: string,
  sizes: boolean,
  usage: boolean,
): ScannedEntry {
  // A file that disappears between readdir and lstat means the entry is changing (a compile
  // finishing, a cleanup running): read it once more, then take what is there.
  const first = readEntryOnce(fs, entryPath, versionDir, name, sizes, usage, false);
  if (first !== "changed") return first;
  return readEntryOnce(fs, entryPath, versionDir, name, sizes, usage, true) as ScannedEntry;
}

function readEntryOnce(
  fs: LocalFs,
  entryPath: string,
  versionDir: string,
  name: string,
  sizes: boolean,
  usage: boolean,
  tolerateChanges: boolean,
): ScannedEntry | "changed" {
  const files = fs.readdirSync(entryPath).sort(compare);
  const entry: ScannedEntry = {
    versionDir,
    name,
    path: entryPath,
    state: classifyEntry(files),
    files,
    sizeBytes: 0,
    lockFiles: [],
    lastUsedMs: usage ? fs.lstatSync(entryPath).mtimeMs : 0,
  };
  let changed = false;
  for (const file of files) {
    const isLock = file.endsWith(".lock");
    if (!sizes && !(usage && file === "model.neff")) {
      if (isLock) entry.lockFiles.push({ name: file, sizeBytes: 0 });
      continue;
    }
    // Names come from readdir (no separators), so plain concatenation is a safe join.
    const filePath = entryPath + path.sep + file;
    try {
      const stat = fs.lstatSync(filePath);
      if (stat.isDirectory()) {
        if (sizes) entry.sizeBytes += treeSize(fs, filePath);
        continue;
      }
      if (sizes) entry.sizeBytes += stat.size;
      if (isLock) entry.lockFiles.push({ name: file, sizeBytes: stat.size });
      if (usage && file === "model.neff") {
        entry.lastUsedMs = Math.max(entry.lastUsedMs, stat.mtimeMs, stat.atimeMs);
      }
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      changed = true;
    }
  }
  entry.lockFiles.sort((a, b) => compare(a.name, b.name));
  return changed && !tolerateChanges ? "changed" : entry;
}

/** Sum of lstat sizes of every non-directory under `dir`; never follows symlinks; vanished items count 0. */
export function treeSize(fs: LocalFs, dir: string): number {
  let items: Dirent[];
  try {
    items = fs.readdirTypedSync(dir);
  } catch (error) {
    if (isVanished(error)) return 0;
    throw error;
  }
  let total = 0;
  for (const item of items) {
    const itemPath = path.join(dir, item.name);
    try {
      const stat = item.isDirectory() ? null : fs.lstatSync(itemPath);
      total += stat === null || stat.isDirectory() ? treeSize(fs, itemPath) : stat.size;
    } catch (error) {
      if (!isVanished(error)) throw error;
    }
  }
  return total;
}

function direntKind(fs: LocalFs, parent: string, item: Dirent): "dir" | "symlink" | "other" {
  if (item.isDirectory()) return "dir";
  if (item.isSymbolicLink()) return "symlink";
  if (item.isFile()) return "other";
  // Some file systems do not report the type in readdir.
  try {
    const stat = fs.lstatSync(path.join(parent, item.name));
    if (stat.isDirectory()) return "dir";
    return stat.isSymbolicLink() ? "symlink" : "other";
  } catch {
    return "other";
  }
}

function symlinkProblem(linkPath: string): ScanProblem {
  return { path: linkPath, code: "SYMLINK", message: "symbolic link, not followed" };
}

function problem(itemPath: string, error: unknown): ScanProblem {
  return { path: itemPath, code: errorCode(error) ?? "EIO", message: errorMessage(error) };
}

function isVanished(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "ENOTDIR";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
