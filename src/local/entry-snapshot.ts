import { lstatSync, readdirSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { isModuleName } from "../layout/entry-files.ts";
import { errorCode } from "./error-code.ts";

/** The entries of a compiler-version dir at one instant. */
export interface EntrySnapshot {
  versionDir: string;
  names: ReadonlySet<string>;
  /** Entries known to be complete successes when the snapshot was taken. */
  complete: ReadonlySet<string>;
  takenAtMs: number;
}

/**
 * Names the entries of `versionDir` now (an absent dir has none). `complete` names entries the
 * caller knows to be successes already (a fetch just found or installed them): a compile never
 * redoes a cached success, so their dirs are not looked at again.
 */
export async function takeEntrySnapshot(
  versionDir: string,
  complete: ReadonlySet<string> = new Set(),
): Promise<EntrySnapshot> {
  const takenAtMs = Date.now();
  const names = new Set(readEntryDirs(versionDir).map((item) => item.name));
  return { versionDir, names, complete: new Set([...complete].filter((name) => names.has(name))), takenAtMs };
}

/**
 * Entries created or written since the snapshot: new names, and old entries whose dir changed
 * (a compile completing an entry that was empty or locked before). Cheaper than classifying
 * every entry twice: one readdir, and one lstat per entry that was not known complete,
 * synchronous as the local-cache reads are (see LocalFs): 1,000 promise-based lstat calls were
 * a tenth of a warm exec's CPU on the many-small set, and the synchronous ones of an entry set
 * the fetch had just found complete 4-7 ms more.
 */
export async function entriesChangedSince(snapshot: EntrySnapshot): Promise<string[]> {
  const changed: string[] = [];
  const existing: string[] = [];
  for (const item of readEntryDirs(snapshot.versionDir)) {
    if (!snapshot.names.has(item.name)) changed.push(item.name);
    else if (!snapshot.complete.has(item.name)) existing.push(item.name);
  }
  for (const name of existing) {
    const info = lstatSync(join(snapshot.versionDir, name), { throwIfNoEntry: false });
    if (info !== undefined && info.mtimeMs > snapshot.takenAtMs) changed.push(name);
  }
  return changed.sort();
}

function readEntryDirs(versionDir: string): Dirent[] {
  try {
    const items = readdirSync(versionDir, { withFileTypes: true });
    return items.filter((item) => item.isDirectory() && isModuleName(item.name));
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw error;
  }
}
