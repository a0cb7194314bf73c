import type { Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { isModuleName } from "../layout/entry-files.ts";
import { errorCode } from "./error-code.ts";
import { forEachConcurrent } from "./for-each-concurrent.ts";

/** The entries of a compiler-version dir at one instant. */
export interface EntrySnapshot {
  versionDir: string;
  names: ReadonlySet<string>;
  takenAtMs: number;
}

/** Names the entries of `versionDir` now (an absent dir has none). */
export async function takeEntrySnapshot(versionDir: string): Promise<EntrySnapshot> {
  const takenAtMs = Date.now();
  return {
    versionDir,
    names: new Set((await readEntryDirs(versionDir)).map((item) => item.name)),
    takenAtMs,
  };
}

/**
 * Entries created or written since the snapshot: new names, and old entries whose dir changed
 * (a compile completing an entry that was empty or locked before). Cheaper than classifying
 * every entry twice: one readdir and one lstat per entry.
 */
export async function entriesChangedSince(snapshot: EntrySnapshot): Promise<string[]> {
  const changed: string[] = [];
  const existing: string[] = [];
  for (const item of await readEntryDirs(snapshot.versionDir)) {
    if (snapshot.names.has(item.name)) existing.push(item.name);
    else changed.push(item.name);
  }
  await forEachConcurrent(existing, 32, async (name) => {
    try {
      const info = await lstat(join(snapshot.versionDir, name));
      if (info.mtimeMs > snapshot.takenAtMs) changed.push(name);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
  });
  return changed.sort();
}

async function readEntryDirs(versionDir: string): Promise<Dirent[]> {
  try {
    const items = await readdir(versionDir, { withFileTypes: true });
    return items.filter((item) => item.isDirectory() && isModuleName(item.name));
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw error;
  }
}
