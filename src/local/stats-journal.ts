/**
 * The local stats journal: one JSON line per fetch, sync or exec, appended by every process
 * on the machine, read back by `stats`.
 *
 * Concurrent writers: each record is one `write()` of one line (at most MAX_STATS_LINE_BYTES =
 * 4096, PIPE_BUF) on a descriptor opened with O_APPEND. The kernel moves to the end and writes
 * under the inode lock, so lines of different processes never interleave or overwrite each
 * other on a local file system; no lock file is needed, and a writer never waits. (Measured in
 * `stats-journal.test.ts`: 6 processes appending 300 records each at once leave all 1,800 lines
 * intact, while the same test with each line sent in two writes tears lines in its first run.) On NFS, O_APPEND is emulated by the client and two machines can
 * overwrite each other's line: the journal belongs on a local disk, which is the default.
 *
 * Bounded: when an append finds the journal past MAX_JOURNAL_BYTES, the journal is renamed to
 * `<journal>.1` (replacing the previous generation) and a new one starts; both are read. So the
 * journal never holds more than about twice MAX_JOURNAL_BYTES. The rename is guarded by an
 * exclusive `<journal>.rotating` file, so two writers rotating at once cannot rename the fresh
 * journal over the generation the other has just kept. A line written through a descriptor
 * opened before a rotation lands in `.1`, where it is still read.
 */
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import type { StatsRecord } from "../layout/stats-record.ts";
import { formatStatsLine, parseStatsLine } from "../layout/stats-record.ts";
import { errorCode } from "./error-code.ts";

/** Size past which the journal starts a new generation: ~6,000 records of ~350 bytes. */
export const MAX_JOURNAL_BYTES = 2 * 1024 * 1024;
/** A rotation marker older than this was left by a killed process and is removed. */
const STALE_ROTATION_MS = 60_000;

/**
 * Where the journal lives: `NEFF_CACHE_STATS_FILE`, else `$XDG_STATE_HOME/neff-cache/stats.jsonl`,
 * else `~/.local/state/neff-cache/stats.jsonl` (per user and machine, on a local disk).
 */
export function statsJournalPath(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env.NEFF_CACHE_STATS_FILE;
  if (explicit !== undefined && explicit !== "") return explicit;
  const state = env.XDG_STATE_HOME || path.join(env.HOME || homedir(), ".local", "state");
  return path.join(state, "neff-cache", "stats.jsonl");
}

export interface AppendStatsRecordOptions {
  journal: string;
  record: StatsRecord;
  /** @default MAX_JOURNAL_BYTES */
  maxBytes?: number;
}

/** Appends one record with a single O_APPEND write, then rotates when the journal is full. */
export async function appendStatsRecord(options: AppendStatsRecordOptions): Promise<void> {
  const line = Buffer.from(formatStatsLine(options.record), "utf8");
  await mkdir(path.dirname(options.journal), { recursive: true });
  const handle = await open(options.journal, "a", 0o644);
  let size: number;
  try {
    const { bytesWritten } = await handle.write(line, 0, line.length);
    // A short write (a full disk) would leave half a line; the reader skips it with a warning.
    if (bytesWritten !== line.length)
      throw new Error(`only ${bytesWritten} of ${line.length} bytes were written`);
    size = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  if (size > (options.maxBytes ?? MAX_JOURNAL_BYTES)) await rotate(options.journal, options.maxBytes);
}

export interface ReadStatsJournalResult {
  /** Records of the kept generation and the current journal, oldest first. */
  records: StatsRecord[];
  /** Lines that were not records: damaged, foreign, or of a newer format. */
  skipped: Array<{ file: string; line: number; reason: string }>;
}

/** Reads both generations; a missing journal is empty, a bad line is skipped and reported. */
export async function readStatsJournal(journal: string): Promise<ReadStatsJournalResult> {
  const result: ReadStatsJournalResult = { records: [], skipped: [] };
  for (const file of [`${journal}.1`, journal]) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue;
      throw error;
    }
    const lines = text.split("\n");
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      const parsed = parseStatsLine(line);
      if (parsed.ok) result.records.push(parsed.record);
      else result.skipped.push({ file, line: index + 1, reason: parsed.reason });
    });
  }
  return result;
}

// --- internal ---

async function rotate(journal: string, maxBytes = MAX_JOURNAL_BYTES): Promise<void> {
  const marker = `${journal}.rotating`;
  try {
    await (await open(marker, "wx")).close();
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error;
    const age = await stat(marker).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > STALE_ROTATION_MS) await rm(marker, { force: true });
    return;
  }
  try {
    // Another writer may have rotated between our append and our marker.
    const size = await stat(journal).then(
      (info) => info.size,
      () => 0,
    );
    if (size > maxBytes) await rename(journal, `${journal}.1`);
  } finally {
    await rm(marker, { force: true });
  }
}
