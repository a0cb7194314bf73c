/**
 * Reads a whole store listing as the layout sees it: every entry copy (one MODULE dir in one
 * area, with all its files, including the markers of failed or running compiles), every export
 * record, junk (keys under a `neuronxcc-*` dir that are not of the layout) and a count of
 * foreign keys (someone else's). Pure; prune and copy plan from it.
 */
import { COMPILER_DIR_PREFIX } from "./cache-layout.ts";
import { NEFF_FILE } from "./entry-files.ts";
import { parseLayoutKey } from "./parse-layout-key.ts";

/** One listed object: what the planners need of a `StoreObject`. */
export interface ListedObject {
  key: string;
  size: number;
  md5?: string;
  lastModified?: Date;
}

/** One MODULE dir in one area. */
export interface EntryCopy {
  area: "flat" | "model";
  compilerVersion: string;
  /** The model and task of a per-model copy. */
  modelId?: string;
  task?: string;
  module: string;
  /** Files by name. */
  files: Map<string, ListedObject>;
  /** Newest `lastModified` of its files (ms), or null when the store reports none. */
  newest: number | null;
}

export interface ListedRecord {
  key: string;
  size: number;
  compilerVersion: string;
  modelId: string;
  task: string;
  object: ListedObject;
}

export interface ListedJunk {
  key: string;
  size: number;
  compilerVersion: string;
  /** Why the key is not of the layout. */
  detail: string;
}

export interface GroupedListing {
  /** In listing order of their first file. */
  copies: EntryCopy[];
  records: ListedRecord[];
  junk: ListedJunk[];
  foreignKeys: number;
}

export function groupStoreListing(objects: Iterable<ListedObject>): GroupedListing {
  const copies = new Map<string, EntryCopy>();
  const grouped: GroupedListing = { copies: [], records: [], junk: [], foreignKeys: 0 };
  for (const object of objects) {
    const parsed = parseOwned(object.key);
    if (parsed === null) grouped.foreignKeys += 1;
    else if ("junk" in parsed) {
      grouped.junk.push({
        key: object.key,
        size: object.size,
        compilerVersion: parsed.compilerVersion,
        detail: parsed.junk,
      });
    } else if (parsed.area === "record") {
      grouped.records.push({ key: object.key, size: object.size, object, ...parsed });
    } else {
      const id = copyId(parsed);
      let copy = copies.get(id);
      if (!copy) {
        const { file: _file, ...where } = parsed;
        copy = { ...where, files: new Map(), newest: null };
        copies.set(id, copy);
        grouped.copies.push(copy);
      }
      copy.files.set(parsed.file, object);
      const at = object.lastModified?.getTime();
      if (at !== undefined && (copy.newest === null || at > copy.newest)) copy.newest = at;
    }
  }
  return grouped;
}

/** The same entry in any area: `<cv>|<module>`. */
export function entryId(copy: Pick<EntryCopy, "compilerVersion" | "module">): string {
  return `${copy.compilerVersion}|${copy.module}`;
}

/** A model/task area: `<cv>|<model>|<task>`. */
export function areaId(compilerVersion: string, modelId: string, task: string): string {
  return `${compilerVersion}|${modelId}|${task}`;
}

/** One copy: `flat|<cv>|<module>` or `model|<cv>|<model>|<task>|<module>`. */
export function copyId(
  copy: Pick<EntryCopy, "area" | "compilerVersion" | "module" | "modelId" | "task">,
): string {
  return copy.area === "flat"
    ? `flat|${copy.compilerVersion}|${copy.module}`
    : `model|${areaId(copy.compilerVersion, copy.modelId ?? "", copy.task ?? "")}|${copy.module}`;
}

// --- internal ---

type Parsed =
  | { area: "flat"; compilerVersion: string; module: string; file: string }
  | { area: "model"; compilerVersion: string; modelId: string; task: string; module: string; file: string }
  | { area: "record"; compilerVersion: string; modelId: string; task: string }
  | { junk: string; compilerVersion: string };

/** A key of ours (entry file, marker of a failed or running compile, record), junk, or null if foreign. */
function parseOwned(key: string): Parsed | null {
  const parsed = parseLayoutKey(key);
  if (parsed.ok) {
    const k = parsed.key;
    if (k.area === "record")
      return { area: "record", compilerVersion: k.compilerVersion, modelId: k.modelId, task: k.task };
    if (k.area === "flat")
      return { area: "flat", compilerVersion: k.compilerVersion, module: k.module, file: k.file };
    return {
      area: "model",
      compilerVersion: k.compilerVersion,
      modelId: k.modelId,
      task: k.task,
      module: k.module,
      file: k.file,
    };
  }
  const head = key.split("/", 1)[0] ?? "";
  if (parsed.reason === "not-ours" || !head.startsWith(COMPILER_DIR_PREFIX)) return null;
  const compilerVersion = head.slice(COMPILER_DIR_PREFIX.length);
  if (parsed.reason === "excluded-file") {
    // model.log, *.lock, partial downloads: never transferred, but part of their entry's state.
    const slash = key.lastIndexOf("/");
    const entry = parseLayoutKey(`${key.slice(0, slash)}/${NEFF_FILE}`);
    if (entry.ok && entry.key.area !== "record") {
      const file = key.slice(slash + 1);
      const k = entry.key;
      return k.area === "flat"
        ? { area: "flat", compilerVersion: k.compilerVersion, module: k.module, file }
        : {
            area: "model",
            compilerVersion: k.compilerVersion,
            modelId: k.modelId,
            task: k.task,
            module: k.module,
            file,
          };
    }
  }
  return { junk: `${parsed.reason}: ${parsed.detail}`, compilerVersion };
}
