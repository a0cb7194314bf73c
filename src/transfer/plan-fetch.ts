/**
 * Decides how much of an area a fetch lists and which remote entries it downloads. Pure:
 * listings and local entry states in, a plan out.
 */
import { EXPORTS_DIR } from "../layout/cache-layout.ts";
import type { EntryState } from "../layout/classify-entry.ts";
import { isModuleName } from "../layout/entry-files.ts";
import type { ListItem } from "../store/store.ts";
import type { AreaSelector, RemoteEntry } from "./remote-entries.ts";

export type FetchSkipReason =
  /** The local entry is already a success. */
  | "present"
  /** A compile holds a lock on the local entry: never clobber it. */
  | "compiling-locally"
  /** The store's copy is failed, half-written or locked: installing it would block compilation. */
  | "remote-incomplete"
  /** Trust is required and the entry's manifest carries no valid signature by a trusted key. */
  | "untrusted";

export interface FetchSkip {
  module: string;
  reason: FetchSkipReason;
  detail: string;
}

export interface PlannedDownload {
  entry: RemoteEntry;
  /** What is in the local cache now: null when there is no entry dir. */
  localState: EntryState | null;
}

export interface FetchPlan {
  downloads: PlannedDownload[];
  skipped: FetchSkip[];
}

/**
 * Downloads remote successes that are missing locally or locally broken (empty, or a cached
 * failure while the store has a success). Skips what is present, what a compile holds, and
 * remote entries that are not complete successes (stores written by other tools hold them).
 */
export function planFetch(
  remote: readonly RemoteEntry[],
  local: ReadonlyMap<string, EntryState | null>,
): FetchPlan {
  const plan: FetchPlan = { downloads: [], skipped: [] };
  for (const entry of remote) {
    if (entry.state !== "success") {
      plan.skipped.push({
        module: entry.module,
        reason: "remote-incomplete",
        detail: `the store's copy is ${entry.state}, not a complete success`,
      });
      continue;
    }
    const localState = local.get(entry.module) ?? null;
    if (localState === "success") {
      plan.skipped.push(presentSkip(entry.module));
    } else if (localState === "locked") {
      plan.skipped.push({
        module: entry.module,
        reason: "compiling-locally",
        detail: "a compile holds its lock; left untouched",
      });
    } else {
      plan.downloads.push({ entry, localState });
    }
  }
  return plan;
}

/**
 * Up to this many entry folders that are not a success locally, a warm fetch lists them one by
 * one (concurrently, one request each on S3 and the Hub) instead of listing the whole area file
 * by file. Sixteen is one round of listings at the fetch's concurrency; more would queue.
 */
export const PER_FOLDER_LISTING_LIMIT = 16;

/** What a folder-only listing of an area says about its entries. */
export type AreaFolders =
  /** Every child is an entry folder (or belongs to another area): their MODULE names, sorted. */
  | { ok: true; modules: string[] }
  /** A child the file listing would report (a stray file, a folder that is no entry): list files. */
  | { ok: false; detail: string };

/**
 * Reads a non-recursive listing of `prefix` (an area) into its entry folders. In the flat area,
 * folders that are not MODULE names are the per-model areas, which a fetch of the flat area
 * never reads; in a model's area only the export records' folder is expected beside the entries.
 */
export function readAreaFolders(
  items: Iterable<ListItem>,
  prefix: string,
  area: AreaSelector["area"],
): AreaFolders {
  const modules: string[] = [];
  for (const item of items) {
    const name = item.key.startsWith(`${prefix}/`) ? item.key.slice(prefix.length + 1) : null;
    if (item.type !== "dir" || name === null || name.length === 0 || name.includes("/"))
      return { ok: false, detail: `${item.key} is not an entry folder` };
    if (isModuleName(name)) modules.push(name);
    else if (name.startsWith("MODULE_") || (area === "model" && name !== EXPORTS_DIR))
      return { ok: false, detail: `${item.key} is not an entry folder` };
  }
  return { ok: true, modules: modules.sort(compareNames) };
}

/** How a fetch lists an area, once its entry folders and their local states are known. */
export type FetchListing =
  /** Every entry folder is a success locally: nothing to download, no file listing. */
  | { kind: "none"; present: FetchSkip[] }
  /** List the files of these folders only; the others are present. */
  | { kind: "folders"; modules: string[]; present: FetchSkip[] }
  /** List every file of the area, as a cold fetch does. */
  | { kind: "area" };

/**
 * Decides how much of an area a fetch lists file by file. A folder that is a success locally
 * needs nothing (fetch never replaces a local success), so its files are not listed; the few
 * others are listed folder by folder, and many others (a cold or half-warm cache) by one listing
 * of the whole area, which costs a request per 1,000 keys instead of one per folder.
 */
export function planFetchListing(
  folders: AreaFolders,
  local: ReadonlyMap<string, EntryState | null>,
): FetchListing {
  if (!folders.ok) return { kind: "area" };
  const present: FetchSkip[] = [];
  const missing: string[] = [];
  for (const module of folders.modules) {
    if (local.get(module) === "success") present.push(presentSkip(module));
    else missing.push(module);
  }
  if (missing.length === 0) return { kind: "none", present };
  // Everything missing is a cold fetch: one area listing is never more requests than one per folder.
  if (missing.length > PER_FOLDER_LISTING_LIMIT || present.length === 0) return { kind: "area" };
  return { kind: "folders", modules: missing, present };
}

function presentSkip(module: string): FetchSkip {
  return { module, reason: "present", detail: "already a success locally" };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
