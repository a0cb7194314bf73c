/**
 * Names inside a compile-cache entry (`MODULE_…/`): which are the entry's own files, which are
 * markers of a failed or running compile that must never travel, and the MODULE name itself.
 */
import { parseSignatureName } from "./signature-name.ts";

/** The serialized HLO graph, the compiler's input. */
export const HLO_FILE = "model.hlo_module.pb";
/** JSON list of compiler flags. */
export const FLAGS_FILE = "compile_flags.json";
/** The compiled binary (success only). */
export const NEFF_FILE = "model.neff";
/** Empty success marker written after the NEFF. */
export const DONE_FILE = "model.done";
/** Compiler error log: marks a failed compile. Never published or fetched. */
export const LOG_FILE = "model.log";

/**
 * Our per-entry manifest (see `entry-manifest.ts`). It lives inside the MODULE dir rather than as
 * a sibling key `…/MODULE_x.manifest.json` because:
 *   - the Neuron runtime and libneuronxla open entry files by name (`model.neff`, `model.done`,
 *     `model.log`, `*.lock`), and entries already carry other files (`wrapped_neff.hlo` from NxD,
 *     whole exported folders in legacy traced entries), so one more file is inert;
 *   - a sibling *file* whose name starts with `MODULE_` would sit among the entry *dirs* of a
 *     compiler version dir, where code that globs `MODULE_*` and treats each match as a directory
 *     (in the compiler cache served from a mounted bucket, or in tools) could trip over it;
 *   - optimum-neuron's fetch copies every file of a MODULE prefix into the local entry, so the
 *     manifest travels with the entry and it also works when a bucket is mounted.
 * It is never counted as an entry file: it is rebuilt, not copied, when an entry is published.
 */
export const ENTRY_MANIFEST_FILE = "neff-cache.manifest.json";

/** What a file is to the entry that holds it. */
export type EntryFileRole = "hlo" | "flags" | "neff" | "done" | "manifest" | "signature" | "extra";

/** Longest file name accepted in an entry (a common file-system limit). */
const MAX_FILE_NAME_LENGTH = 255;
/** Safe file names: no separators, spaces or shell-special characters, not hidden. */
const SAFE_FILE_NAME = /^[A-Za-z0-9_+=-][A-Za-z0-9._+=-]*$/;
/** Suffixes of files still being written (by us or by download tools). */
const IN_PROGRESS_SUFFIXES = [".lock", ".incomplete", ".partial", ".tmp"];

/**
 * MODULE dir names: `MODULE_<graph hash>+<flags hash>` (libneuronxla, NxD) and the legacy
 * `MODULE_<hash>` (optimum-neuron traced models); safe characters only.
 */
const MODULE_NAME = /^MODULE_[A-Za-z0-9][A-Za-z0-9_-]{0,127}(?:\+[A-Za-z0-9][A-Za-z0-9_-]{0,63})?$/;

/** Why `name` is not a MODULE dir name, or null. */
export function moduleNameProblem(name: string): string | null {
  if (!name.startsWith("MODULE_")) return "it does not start with MODULE_";
  if (!MODULE_NAME.test(name)) {
    return "it is not MODULE_<hash>+<hash> or MODULE_<hash> with letters, digits, '_' and '-'";
  }
  return null;
}

/** True when `name` is a MODULE dir name. */
export function isModuleName(name: string): boolean {
  return moduleNameProblem(name) === null;
}

/**
 * Why a file named `name` directly inside an entry must not be published or fetched, or null
 * when it belongs to the entry. Lock files, `model.log`, partial downloads, hidden files and
 * unsafe names never belong; the manifest is accepted (its role says what it is).
 */
export function entryFileProblem(name: string): string | null {
  if (name.length === 0) return "the file name is empty";
  if (name.length > MAX_FILE_NAME_LENGTH)
    return `the file name is longer than ${MAX_FILE_NAME_LENGTH} characters`;
  if (name === LOG_FILE) return "model.log marks a failed compile";
  for (const suffix of IN_PROGRESS_SUFFIXES) {
    if (name.endsWith(suffix)) return `${suffix} files belong to a compile or transfer in progress`;
  }
  if (!SAFE_FILE_NAME.test(name)) {
    return "the file name may only use letters, digits, '.', '_', '+', '=' and '-', and may not start with '.'";
  }
  return null;
}

/** True when `name` belongs to an entry (including the manifest). */
export function isEntryFileName(name: string): boolean {
  return entryFileProblem(name) === null;
}

/** The role of an entry file name (call only for names `isEntryFileName` accepts). */
export function entryFileRole(name: string): EntryFileRole {
  switch (name) {
    case HLO_FILE:
      return "hlo";
    case FLAGS_FILE:
      return "flags";
    case NEFF_FILE:
      return "neff";
    case DONE_FILE:
      return "done";
    case ENTRY_MANIFEST_FILE:
      return "manifest";
    default:
      // A producer's signature of the manifest; like the manifest, never counted as an entry file.
      return parseSignatureName(name)?.signed === ENTRY_MANIFEST_FILE ? "signature" : "extra";
  }
}
