import { nodeLocalFs, type LocalFs } from "./local-fs.ts";

export interface MarkEntryUsedOptions {
  /** The time to record. Default now. */
  now?: Date;
  fs?: LocalFs;
}

/**
 * Records that an entry was just used (fetched, installed or served) by setting its dir's
 * access and modification times. Local eviction (`cleanup --max-size/--unused-for`) ranks
 * entries by the newest of the entry dir's mtime and `model.neff`'s mtime and atime, so this
 * keeps a fetched entry from looking as old as the bytes it was copied from. The entry's files
 * are not touched, so their contents and their own mtimes stay as published.
 */
export async function markEntryUsed(entryDir: string, options: MarkEntryUsedOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeLocalFs;
  const now = options.now ?? new Date();
  await fs.utimes(entryDir, now, now);
}
