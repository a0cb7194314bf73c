/**
 * Atomic installation of downloaded entries. Files are written into a staging directory on
 * the same file system (a hidden dir in the compiler-version dir, which the compiler never
 * reads), verified, and the whole entry appears at once by `rename`. A crash at any instant
 * leaves either the old entry, no entry, or the complete new one — never a partial one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { classifyEntry } from "../layout/classify-entry.ts";
import { errorCode } from "./error-code.ts";

/** Hidden directory, beside the entries, that holds staging and trash directories. */
export const STAGING_DIR_NAME = ".neff-cache-staging";

/**
 * Creates a fresh staging directory for one entry, named after the process that owns it, with
 * the permissions the compiler's own entries get (0777 less the umask). The staging area is
 * made only when the first create finds it missing, and the name is drawn here rather than by
 * `mkdtemp` (which makes owner-only dirs): one call per entry instead of three (mkdir -p,
 * mkdtemp, chmod), which counted on fetches of thousands of small entries.
 */
export async function createStagingDir(versionDir: string, module: string): Promise<string> {
  const root = join(versionDir, STAGING_DIR_NAME);
  for (let attempt = 1; ; attempt++) {
    const dir = join(root, `${module}.${process.pid}.${randomBytes(6).toString("base64url")}`);
    try {
      await mkdir(dir, { mode: 0o777 });
      return dir;
    } catch (error) {
      const code = errorCode(error);
      if (attempt >= 5 || (code !== "ENOENT" && code !== "EEXIST")) throw error;
      // Missing: the first entry of this fetch, or another process's fetch removed the (then
      // empty) staging area in between. Taken: a name drawn twice.
      if (code === "ENOENT") await mkdir(root, { recursive: true });
    }
  }
}

/** Removes the staging area when nothing is left in it, so a fetch leaves nothing but entries. */
export async function removeEmptyStagingRoot(versionDir: string): Promise<void> {
  await rmdir(join(versionDir, STAGING_DIR_NAME)).catch(() => undefined);
}

/** `kept-existing`: the entry turned into a success or got a lock meanwhile, and was left alone. */
export type InstallOutcome = "installed" | "replaced" | "kept-existing";

/**
 * Moves a complete staging directory (made by createStagingDir, which gives it the entry's
 * permissions) into place as `<versionDir>/<module>`. An entry already
 * there is first looked at where it is: a success or an entry with a compile's lock is kept and
 * the staged copy discarded, so an installed entry never leaves its place, not even for a
 * moment. An empty or failed entry is moved aside into the staging area and the staged one put
 * in its place (two renames; the old bytes are deleted only after the new entry is visible),
 * under a per-entry lock so that two fetches never swap the same entry at once. Should a
 * compile start in the entry between the look and the move, it is put back.
 */
export async function installStagedEntry(
  versionDir: string,
  module: string,
  stagingDir: string,
): Promise<InstallOutcome> {
  const target = join(versionDir, module);
  if (await renameOnto(stagingDir, target)) return "installed";
  const keep = async (): Promise<InstallOutcome> => {
    await rm(stagingDir, { recursive: true, force: true });
    return "kept-existing";
  };
  if (await holdsWork(target)) return keep();
  return withSwapLock(versionDir, module, async () => {
    // Another fetch may have installed it while this one waited for the lock.
    if (await holdsWork(target)) return keep();
    if (await renameOnto(stagingDir, target)) return "installed";
    const trash = `${stagingDir}.replaced`;
    await rename(target, trash);
    if (await holdsWork(trash)) {
      await rename(trash, target);
      return keep();
    }
    try {
      if (!(await renameOnto(stagingDir, target))) {
        // Another fetch installed the entry into the gap (its first rename takes no lock): keep it.
        await rm(trash, { recursive: true, force: true });
        return keep();
      }
    } catch (error) {
      // Put the previous entry back rather than leave nothing and lose its bytes.
      await rename(trash, target).catch((restoreError: unknown) => {
        throw new Error(
          `could not install ${module} (${(error as Error).message}) nor restore the previous entry, kept at ${trash} (${(restoreError as Error).message})`,
        );
      });
      throw error;
    }
    await rm(trash, { recursive: true, force: true });
    return "replaced";
  });
}

/** Renames `from` to `to` unless `to` is a non-empty dir (an empty one is replaced atomically). */
async function renameOnto(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    return false;
  }
}

/** A success (whatever else it holds) or a dir with a compile's lock: work never to replace. */
async function holdsWork(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch((error: unknown) => {
    if (errorCode(error) === "ENOENT") return [] as string[];
    throw error;
  });
  return classifyEntry(names) === "success" || names.some((name) => name.endsWith(".lock"));
}

/** Suffix of the per-entry lock that serialises swaps among neff-cache processes. */
const SWAP_LOCK_SUFFIX = ".swap-lock";
/** How long to wait for another process's swap: two renames, so anything longer is a stuck process. */
const SWAP_LOCK_WAIT_MS = 30_000;

async function withSwapLock<T>(versionDir: string, module: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(versionDir, STAGING_DIR_NAME, `${module}${SWAP_LOCK_SUFFIX}`);
  const started = Date.now();
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw error;
    }
    const owner = Number(await readFile(lock, "utf8").catch(() => ""));
    // A lock whose process is gone (killed mid-swap) is broken; an unreadable one is being written.
    if (Number.isInteger(owner) && owner > 0 && !processIsAlive(owner)) {
      await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() - started > SWAP_LOCK_WAIT_MS) {
      throw new Error(`another process (pid ${owner}) has held the install lock of ${module} for over 30 s`);
    }
    await sleep(10);
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** Removes a staging directory that will not be installed. */
export async function discardStagingDir(stagingDir: string): Promise<void> {
  await rm(stagingDir, { recursive: true, force: true });
}

/**
 * Removes staging directories left by processes that no longer run (a fetch killed mid-way).
 * Directories of live processes are kept, so concurrent fetches never disturb each other.
 */
export async function removeAbandonedStaging(
  versionDir: string,
  isProcessAlive: (pid: number) => boolean = processIsAlive,
): Promise<number> {
  const root = join(versionDir, STAGING_DIR_NAME);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    // Swap locks judge their own owner (see withSwapLock).
    if (name.endsWith(SWAP_LOCK_SUFFIX)) continue;
    const pid = Number(/\.(\d+)\.[^.]+(?:\.replaced)?$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
    const path = join(root, name);
    if (!(await stat(path).catch(() => null))) continue;
    await rm(path, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

/** True when a process with this pid exists (signal 0 probes without sending anything). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
