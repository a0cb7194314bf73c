/**
 * One line of the stats journal: what a fetch, sync or exec did, as counts. Pure: a record goes
 * to one line of text and back, and a line that is not a record comes back as a reason.
 */

/** The commands that leave a record. */
export type StatsCommand = "fetch" | "sync" | "exec";

/** Every command that leaves a record, in the order summaries list them. */
export const STATS_COMMANDS: readonly StatsCommand[] = ["fetch", "sync", "exec"];

/** Format version written in every line; readers skip lines of newer versions. */
export const STATS_RECORD_VERSION = 1;

/**
 * A journal line is written with one `write()` and must stay within PIPE_BUF (4096 bytes on
 * Linux), the size up to which POSIX promises an append is never interleaved with another
 * writer's (see `stats-journal.ts`). Records are ~350 bytes; only a very long store URL or model
 * id could push one past, and then those two fields are dropped rather than the record.
 */
export const MAX_STATS_LINE_BYTES = 4096;

/** One run of one command. */
export interface StatsRecord {
  /** When the command finished (ISO-8601 UTC). */
  at: string;
  command: StatsCommand;
  /** The store's URL (never holds secrets), or null when no store was used. */
  store: string | null;
  modelId: string | null;
  compilerVersion: string | null;
  /** Entries the store supplied, so the compiler did not build them. */
  hits: number;
  /** Entries a wrapped compile had to build (exec only). */
  misses: number;
  entriesFetched: number;
  bytesFetched: number;
  entriesPublished: number;
  bytesPublished: number;
  /** Entries that could not be fetched or published. */
  failed: number;
  /** Wall time of a wrapped command that compiled at least one entry (exec only). */
  compileSeconds: number;
  /** Sum of the recorded compile durations of the entries fetched. */
  savedSeconds: number;
  /** Fetched entries whose compile duration was not recorded (not counted in `savedSeconds`). */
  savedUnknown: number;
}

/** Result of `parseStatsLine`. */
export type StatsLineParseResult = { ok: true; record: StatsRecord } | { ok: false; reason: string };

const COUNT_FIELDS = [
  "hits",
  "misses",
  "entriesFetched",
  "bytesFetched",
  "entriesPublished",
  "bytesPublished",
  "failed",
  "compileSeconds",
  "savedSeconds",
  "savedUnknown",
] as const satisfies ReadonlyArray<keyof StatsRecord>;

/** The record as one journal line, newline included, at most MAX_STATS_LINE_BYTES bytes. */
export function formatStatsLine(record: StatsRecord): string {
  const line = `${JSON.stringify({ v: STATS_RECORD_VERSION, ...record })}\n`;
  if (Buffer.byteLength(line) <= MAX_STATS_LINE_BYTES) return line;
  return `${JSON.stringify({ v: STATS_RECORD_VERSION, ...record, store: null, modelId: null })}\n`;
}

/** Reads one journal line (without its newline); a foreign or damaged line gives a reason. */
export function parseStatsLine(line: string): StatsLineParseResult {
  let body: unknown;
  try {
    body = JSON.parse(line);
  } catch {
    return { ok: false, reason: "not valid JSON" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, reason: "not a JSON object" };
  }
  const fields = body as Record<string, unknown>;
  if (fields.v !== STATS_RECORD_VERSION)
    return { ok: false, reason: `format version is not ${STATS_RECORD_VERSION}` };
  const { at, command, store, modelId, compilerVersion } = fields;
  if (typeof at !== "string" || Number.isNaN(Date.parse(at)))
    return { ok: false, reason: "at is not a date" };
  if (!STATS_COMMANDS.includes(command as StatsCommand)) return { ok: false, reason: "unknown command" };
  for (const [name, value] of Object.entries({ store, modelId, compilerVersion })) {
    if (value !== null && typeof value !== "string") return { ok: false, reason: `${name} is not a string` };
  }
  const record = {
    at,
    command: command as StatsCommand,
    store: store as string | null,
    modelId: modelId as string | null,
    compilerVersion: compilerVersion as string | null,
  } as StatsRecord;
  for (const name of COUNT_FIELDS) {
    const value = fields[name];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      return { ok: false, reason: `${name} is not a non-negative number` };
    }
    record[name] = value;
  }
  return { ok: true, record };
}
