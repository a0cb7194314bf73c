/**
 * The parts of an entry's key and what they are made of: the graph hash and flags hash of a
 * MODULE name, the flags of `compile_flags.json`, and how long a compile took. Pure.
 */
import type { ManifestKeyFactors } from "./entry-manifest.ts";
import { parsePyJson } from "./py-json.ts";

/** `MODULE_<graph hash>+<flags hash>` split; `flagsHash` is null for legacy `MODULE_<hash>` names. */
export interface ModuleKey {
  graphHash: string;
  flagsHash: string | null;
}

/** Reads a MODULE dir name into its two hashes. */
export function splitModuleName(module: string): ModuleKey {
  const bare = module.startsWith("MODULE_") ? module.slice("MODULE_".length) : module;
  const plus = bare.indexOf("+");
  return plus === -1
    ? { graphHash: bare, flagsHash: null }
    : { graphHash: bare.slice(0, plus), flagsHash: bare.slice(plus + 1) };
}

/**
 * The flags of a `compile_flags.json`: a JSON list of strings. Anything else (older releases
 * wrote `compile_flags.txt`; a damaged file) is null: the flags are then unknown, not empty.
 */
export function parseCompileFlags(text: string): string[] | null {
  const parsed = parsePyJson(text);
  if (!parsed.ok || !Array.isArray(parsed.value)) return null;
  const items = parsed.value as readonly unknown[];
  return items.every((item) => typeof item === "string") ? [...(items as string[])] : null;
}

/** How two flag lists differ, as sets: what only one side has. Order-only changes show as none. */
export interface FlagsDifference {
  /** In `ours`, not in `theirs`. */
  added: string[];
  /** In `theirs`, not in `ours`. */
  removed: string[];
}

export function diffFlags(ours: readonly string[], theirs: readonly string[]): FlagsDifference {
  const mine = new Set(ours);
  const other = new Set(theirs);
  return {
    added: ours.filter((flag) => !other.has(flag)),
    removed: theirs.filter((flag) => !mine.has(flag)),
  };
}

/** File times of one compiled entry, in ms since the epoch (0 where the file system has none). */
export interface EntryTimes {
  /** When the entry dir was created (birth time; 0 when unknown). */
  dirBirthMs: number;
  /** mtimes of the compiler's first writes: the HLO graph, the flags, a lock. */
  inputMtimesMs: readonly number[];
  /** mtimes of the NEFF and the done marker. */
  outputMtimesMs: readonly number[];
}

/**
 * How long a compile took, read from the entry it left: from its first trace (the dir's birth or
 * the compiler's first write) to its last output, never counted from before `notBeforeMs` (when
 * the watching command started). Null when the times do not tell (no outputs, clock skew).
 */
export function compileDurationMs(times: EntryTimes, notBeforeMs: number): number | null {
  const starts = [times.dirBirthMs, ...times.inputMtimesMs].filter((ms) => ms > 0);
  const ends = times.outputMtimesMs.filter((ms) => ms > 0);
  if (starts.length === 0 || ends.length === 0) return null;
  const start = Math.max(Math.min(...starts), notBeforeMs);
  const end = Math.max(...ends);
  return end >= start ? Math.round(end - start) : null;
}

/** What an entry's manifest records about its key, from what the publisher knows. */
export function entryKeyFactors(known: {
  /** The bytes of the entry's `compile_flags.json`, when read. */
  flagsBytes?: Uint8Array;
  exportConfigHash?: string;
  compileMs?: number;
}): ManifestKeyFactors {
  const factors: ManifestKeyFactors = {};
  const flags = known.flagsBytes ? parseCompileFlags(new TextDecoder().decode(known.flagsBytes)) : null;
  if (flags !== null) factors.compileFlags = flags;
  if (known.exportConfigHash !== undefined) factors.exportConfigHash = known.exportConfigHash;
  if (known.compileMs !== undefined) factors.compileMs = known.compileMs;
  return factors;
}
