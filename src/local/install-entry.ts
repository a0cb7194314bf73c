/**
 * Atomic installation of downloaded entries. Files are written into a staging directory on
 * the same file system (a hidden dir in the compiler-version dir, which the compiler never
 * reads), verified, and the whole entry appears at once by `rename`. A crash at any instant
 * leaves either the old entry, no entry, or the complete new one — never a partial one.
 */
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { classifyEntry } from "../layout/classify-entry.ts";

/** Hidden directory, beside the entries, that holds staging and trash directories. */
export const STAGING_DIR_NAME = ".neff-cache-staging";

/** Creates a fresh staging directory for one entry, named after the process that owns it. */
export async function createStagingDir(versionDir: string, module: string): Promise<string> {
  const root = join(versionDir, STAGING_DIR_NAME);
  await mkdir(root, { recursive: true });
  return mkdtemp(join(root, `${module}.${process.pid}.`));
}

/** `kept-existing`: the entry turned into a success or got a lock meanwhile, and was left alone. */
export type InstallOutcome = "installed" | "replaced" | "kept-existing";

/**
 * Moves a complete staging directory into place as `<versionDir>/<module>`. An existing entry
 * (empty or failed, as the caller decided) is first moved aside into the staging area, so the
 * swap is two renames and the old bytes are deleted only after the new entry is visible. If the
 * entry moved aside turns out to be a success or locked (another process finished or started
 * it since the caller looked), it is put back and the staged copy is discarded.
 */
export async function installStagedEntry(
  versionDir: string,
  module: string,
  stagingDir: string,
): Promise<InstallOutcome> {
  const target = join(versionDir, module);
  // Entries get the permissions the compiler's own would (mkdtemp makes them owner-only).
  await chmod(stagingDir, 0o777 & ~process.umask());
  try {
    await rename(stagingDir, target);
    return "installed";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  }
  const trash = `${stagingDir}.replaced`;
  await rename(target, trash);
  const names = await readdir(trash);
  if (classifyEntry(names) === "success" || names.some((name) => name.endsWith(".lock"))) {
    await rename(trash, target);
    await rm(stagingDir, { recursive: true, force: true });
    return "kept-existing";
  }
  try {
    await rename(stagingDir, target);
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
