/**
 * Decides what a remote prune removes. Pure: a store listing, the selectors and the time in; the
 * plan out. Rules that keep the store consistent:
 *   - an entry is `neuronxcc-<cv>/…/MODULE_x` in every area it appears in; selecting it by
 *     compiler version or age selects every copy (flat and per-model), so the areas never
 *     disagree about which entries exist;
 *   - an incomplete copy (failed, locked, half-written) goes alone: another area may hold the
 *     same entry complete;
 *   - `--model` removes that model's copies; a flat copy goes too unless another model's area
 *     still holds the entry (the flat area is shared);
 *   - an export record goes with its compiler version or model, and when its model/task area
 *     is left without a complete entry (it would advertise a config nothing can be fetched for);
 *   - keys that are not under a `neuronxcc-*` dir are someone else's and never planned.
 * Each removed copy lists its markers (`model.done` and the manifest) apart from its other
 * files: the executor deletes markers first, so a concurrent reader never takes a half entry.
 */
import type { EntryState } from "./classify-entry.ts";
import { classifyEntry } from "./classify-entry.ts";
import { DONE_FILE, ENTRY_MANIFEST_FILE } from "./entry-files.ts";
import type { EntryCopy, ListedObject } from "./group-store-listing.ts";
import { areaId, copyId, entryId, groupStoreListing } from "./group-store-listing.ts";

/** One listed object: what the planner needs of a `StoreObject`. */
export type PruneListedObject = ListedObject;

/** What to remove. Scopes narrow; criteria select within the scope (any criterion suffices). */
export interface PruneSelectors {
  /** Scope: only this compiler version. */
  compilerVersion?: string;
  /** Scope: only this model's area (every task), plus flat copies no other model uses. */
  modelId?: string;
  /** Criterion: entries whose newest file is older than this many milliseconds. */
  olderThanMs?: number;
  /** Criterion: every compiler version but the N newest. */
  keepCompilerVersions?: number;
  /** Criterion: failed, locked, empty or half-written copies, and records with nothing left to fetch. */
  incomplete?: boolean;
  /** Criterion: keys under a `neuronxcc-*` dir that are not part of the layout. */
  junk?: boolean;
}

export type PruneReason =
  | "compiler-version"
  | "old-compiler-version"
  | "older-than"
  | "model"
  | "incomplete"
  | "no-entries-left"
  | "junk";

/** One copy of an entry in one area. */
export interface PrunedEntry {
  compilerVersion: string;
  area: "flat" | "model";
  /** The model and task of a per-model copy. */
  modelId?: string;
  task?: string;
  module: string;
  state: EntryState;
  reason: PruneReason;
  /** Deleted first: once they are gone, no reader takes the copy for a complete entry. */
  markerKeys: string[];
  /** Deleted once the markers are gone. */
  fileKeys: string[];
  bytes: number;
}

export interface PrunedKey {
  key: string;
  reason: PruneReason;
  /** For junk: why the key is not of the layout. */
  detail?: string;
  bytes: number;
}

export interface PrunePlan {
  entries: PrunedEntry[];
  records: PrunedKey[];
  junk: PrunedKey[];
  /** Keys removed in all, and their bytes. */
  keys: number;
  bytes: number;
  /** What stays: entry copies, records, and keys outside the layout that are not ours. */
  kept: { entries: number; records: number; foreignKeys: number };
  /** Compiler versions seen, newest first. */
  compilerVersions: string[];
}

export function planPrune(
  objects: Iterable<PruneListedObject>,
  selectors: PruneSelectors,
  now: Date,
): PrunePlan {
  const grouped = groupStoreListing(objects);
  const copies = new Map(grouped.copies.map((copy) => [copyId(copy), copy]));
  const records = grouped.records;
  const junk: PrunedKey[] = grouped.junk
    .filter((key) => inScope(selectors, key.compilerVersion))
    .map((key) => ({ key: key.key, reason: "junk", detail: key.detail, bytes: key.size }));
  const foreignKeys = grouped.foreignKeys;
  const versions = new Set<string>([
    ...grouped.copies.map((copy) => copy.compilerVersion),
    ...records.map((record) => record.compilerVersion),
  ]);

  const compilerVersions = [...versions].sort(compareCompilerVersions).reverse();
  const keptVersions =
    selectors.keepCompilerVersions === undefined
      ? null
      : new Set(compilerVersions.slice(0, selectors.keepCompilerVersions));
  const hasCriterion =
    selectors.olderThanMs !== undefined ||
    selectors.keepCompilerVersions !== undefined ||
    selectors.incomplete === true ||
    selectors.junk === true;
  const scopeReason: PruneReason = selectors.modelId !== undefined ? "model" : "compiler-version";

  // Entry ages: the newest file of any copy, so every copy of an entry is judged alike.
  const entryNewest = new Map<string, number>();
  for (const copy of copies.values()) {
    const id = entryId(copy);
    if (copy.newest !== null) entryNewest.set(id, Math.max(entryNewest.get(id) ?? -Infinity, copy.newest));
  }
  const cutoff = selectors.olderThanMs === undefined ? null : now.getTime() - selectors.olderThanMs;

  const removed = new Map<string, PruneReason>();
  /** Why a whole entry (every copy in scope) goes, or null. */
  const entryReason = (copy: EntryCopy): PruneReason | null => {
    if (keptVersions !== null && !keptVersions.has(copy.compilerVersion)) return "old-compiler-version";
    if (cutoff !== null) {
      const newest = entryNewest.get(entryId(copy));
      if (newest !== undefined && newest < cutoff) return "older-than";
    }
    if (!hasCriterion) return scopeReason;
    return null;
  };
  const modelCopies = [...copies.values()].filter((copy) => copy.area === "model");
  for (const copy of copies.values()) {
    if (!inScope(selectors, copy.compilerVersion)) continue;
    if (copy.area === "model" && selectors.modelId !== undefined && copy.modelId !== selectors.modelId)
      continue;
    if (copy.area === "flat" && selectors.modelId !== undefined) continue; // decided below
    const reason =
      entryReason(copy) ?? (selectors.incomplete && !isComplete(copy) ? ("incomplete" as const) : null);
    if (reason !== null) removed.set(copyId(copy), reason);
  }
  if (selectors.modelId !== undefined) {
    // A flat copy goes with the model's copies only when no other area still holds the entry.
    for (const copy of copies.values()) {
      if (copy.area !== "flat" || !inScope(selectors, copy.compilerVersion)) continue;
      const mine = modelCopies.filter(
        (other) => other.modelId === selectors.modelId && entryId(other) === entryId(copy),
      );
      const reasons = mine.map((other) => removed.get(copyId(other))).filter((r) => r !== undefined);
      if (mine.length === 0 || reasons.length === 0) {
        if (selectors.incomplete && !isComplete(copy) && mine.length > 0)
          removed.set(copyId(copy), "incomplete");
        continue;
      }
      const usedElsewhere = modelCopies.some(
        (other) => entryId(other) === entryId(copy) && !removed.has(copyId(other)),
      );
      if (!usedElsewhere) removed.set(copyId(copy), reasons[0] as PruneReason);
    }
  }

  // Records: with their version or model, or when their area is left without a complete entry.
  const completeLeft = new Set<string>();
  const prunedAreas = new Set<string>();
  for (const copy of modelCopies) {
    const area = areaId(copy.compilerVersion, copy.modelId ?? "", copy.task ?? "");
    if (removed.has(copyId(copy))) prunedAreas.add(area);
    else if (isComplete(copy)) completeLeft.add(area);
  }
  const prunedRecords: PrunedKey[] = [];
  for (const record of records) {
    if (!inScope(selectors, record.compilerVersion)) continue;
    if (selectors.modelId !== undefined && record.modelId !== selectors.modelId) continue;
    const area = areaId(record.compilerVersion, record.modelId, record.task);
    let reason: PruneReason | null = null;
    if (keptVersions !== null && !keptVersions.has(record.compilerVersion)) reason = "old-compiler-version";
    else if (!hasCriterion) reason = scopeReason;
    // Emptied by this prune, or (with --incomplete) already describing nothing fetchable.
    else if (!completeLeft.has(area) && (prunedAreas.has(area) || selectors.incomplete === true))
      reason = "no-entries-left";
    if (reason !== null) prunedRecords.push({ key: record.key, reason, bytes: record.size });
  }

  const entries: PrunedEntry[] = [];
  for (const copy of copies.values()) {
    const reason = removed.get(copyId(copy));
    if (reason === undefined) continue;
    const markerKeys: string[] = [];
    const fileKeys: string[] = [];
    let bytes = 0;
    for (const [name, object] of copy.files) {
      (name === DONE_FILE || name === ENTRY_MANIFEST_FILE ? markerKeys : fileKeys).push(object.key);
      bytes += object.size;
    }
    markerKeys.sort();
    fileKeys.sort();
    entries.push({
      compilerVersion: copy.compilerVersion,
      area: copy.area,
      ...(copy.area === "model" ? { modelId: copy.modelId, task: copy.task } : {}),
      module: copy.module,
      state: classifyEntry(copy.files.keys()),
      reason,
      markerKeys,
      fileKeys,
      bytes,
    });
  }
  entries.sort((a, b) => compare(entrySortKey(a), entrySortKey(b)));
  prunedRecords.sort((a, b) => compare(a.key, b.key));
  const prunedJunk = selectors.junk ? junk.sort((a, b) => compare(a.key, b.key)) : [];
  const all = [
    ...entries.map((entry) => ({
      keys: entry.markerKeys.length + entry.fileKeys.length,
      bytes: entry.bytes,
    })),
    ...prunedRecords.map((r) => ({ keys: 1, bytes: r.bytes })),
    ...prunedJunk.map((j) => ({ keys: 1, bytes: j.bytes })),
  ];
  return {
    entries,
    records: prunedRecords,
    junk: prunedJunk,
    keys: all.reduce((sum, item) => sum + item.keys, 0),
    bytes: all.reduce((sum, item) => sum + item.bytes, 0),
    kept: {
      entries: copies.size - entries.length,
      records: records.length - prunedRecords.length,
      foreignKeys,
    },
    compilerVersions,
  };
}

/**
 * Orders compiler versions by release number (`2.9` before `2.21`), then by build: the order
 * `--keep-compiler-versions` keeps the newest of.
 */
export function compareCompilerVersions(a: string, b: string): number {
  const [releaseA = "", buildA = ""] = a.split("+", 2);
  const [releaseB = "", buildB = ""] = b.split("+", 2);
  const partsA = releaseA.split(".");
  const partsB = releaseB.split(".");
  for (let index = 0; index < Math.max(partsA.length, partsB.length); index += 1) {
    const x = partsA[index] ?? "";
    const y = partsB[index] ?? "";
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const order = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : compare(x, y);
    if (order !== 0) return order;
  }
  return compare(buildA, buildB);
}

// --- internal ---

function inScope(selectors: PruneSelectors, compilerVersion: string): boolean {
  return selectors.compilerVersion === undefined || selectors.compilerVersion === compilerVersion;
}

/** A complete copy: a success by the compiler's rule (`model.neff` and `model.done`). */
function isComplete(copy: EntryCopy): boolean {
  return classifyEntry(copy.files.keys()) === "success";
}

function entrySortKey(entry: PrunedEntry): string {
  return `${entry.compilerVersion}/${entry.area === "flat" ? "" : `${entry.modelId}/${entry.task}/`}${entry.module}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
