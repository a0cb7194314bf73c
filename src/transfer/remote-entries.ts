/**
 * Groups a store listing into compile-cache entries. Pure: the listing comes in, entries and
 * the keys that were refused (hostile, foreign, excluded) come out.
 */
import type { EntryState } from "../layout/classify-entry.ts";
import { classifyEntry } from "../layout/classify-entry.ts";
import type { LayoutKeyRejectReason } from "../layout/parse-layout-key.ts";
import { createLayoutKeyParser } from "../layout/parse-layout-key.ts";
import type { ListItem, StoreObject } from "../store/store.ts";

/** One entry as the store holds it. */
export interface RemoteEntry {
  module: string;
  /** Entry files by name (the manifest included, when there is one). */
  files: ReadonlyMap<string, StoreObject>;
  /** State by the compiler's rule, from the file names alone. */
  state: EntryState;
}

/** Which area of which model a listing was taken from. */
export type AreaSelector =
  | { area: "flat"; compilerVersion: string }
  | { area: "model"; compilerVersion: string; modelId: string; task: string };

export interface RefusedKey {
  key: string;
  reason: LayoutKeyRejectReason | "other-area";
  detail: string;
}

export interface GroupedEntries {
  /** Sorted by module name. */
  entries: RemoteEntry[];
  refused: RefusedKey[];
}

/**
 * Keeps the files of `selector`'s area and groups them by entry. Keys of other areas (a flat
 * listing also walks the per-model areas below it) are dropped silently; keys that are not
 * safe or not of the layout are reported as refused.
 */
export function groupRemoteEntries(items: Iterable<ListItem>, selector: AreaSelector): GroupedEntries {
  const byModule = new Map<string, Map<string, StoreObject>>();
  const refused: RefusedKey[] = [];
  const parseLayoutKey = createLayoutKeyParser();
  for (const item of items) {
    if (item.type !== "file") continue;
    const parsed = parseLayoutKey(item.key);
    if (!parsed.ok) {
      refused.push({ key: item.key, reason: parsed.reason, detail: parsed.detail });
      continue;
    }
    const key = parsed.key;
    if (key.area === "record" || key.compilerVersion !== selector.compilerVersion) continue;
    if (key.area !== selector.area) continue;
    if (
      key.area === "model" &&
      selector.area === "model" &&
      (key.modelId !== selector.modelId || key.task !== selector.task)
    ) {
      refused.push({ key: item.key, reason: "other-area", detail: "listed under another model or task" });
      continue;
    }
    let files = byModule.get(key.module);
    if (!files) byModule.set(key.module, (files = new Map()));
    const { type: _type, ...object } = item;
    files.set(key.file, object);
  }
  const entries = [...byModule.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([module, files]) => ({ module, files, state: classifyEntry(files.keys()) }));
  return { entries, refused };
}
