/**
 * Decides what a copy between two stores writes. Pure: both listings and the filter in, the plan
 * out. Only complete entry copies travel (`model.neff` + `model.done`; never failed, locked or
 * half-written ones), in every area they are in, with the export records of the models copied.
 * A destination copy that already holds every file with the same size (and MD5 when both stores
 * report one) is skipped, so a second copy writes nothing; in one that is partly there (a copy
 * that was killed), only the missing or differing files are written. Within each copy the other
 * files go first, then `model.done`, then the manifest, as sync publishes them: a destination
 * copy is complete only once its markers are written.
 */
import { classifyEntry } from "./classify-entry.ts";
import { DONE_FILE, ENTRY_MANIFEST_FILE, entryFileProblem } from "./entry-files.ts";
import type { EntryCopy, ListedObject } from "./group-store-listing.ts";
import { copyId, entryId, groupStoreListing } from "./group-store-listing.ts";

export interface CopyFilter {
  compilerVersion?: string;
  /** Only this model's area, and the flat copies of its entries. */
  modelId?: string;
  /** With `modelId`: only this task. */
  task?: string;
  /** Only these entries (module names), e.g. the ones a tier backfill carries. */
  modules?: readonly string[];
}

/** One entry copy to write in the destination. */
export interface PlannedCopy {
  area: "flat" | "model";
  compilerVersion: string;
  modelId?: string;
  task?: string;
  module: string;
  /** The source copy's files (all of them, so the executor can verify against the manifest). */
  files: ListedObject[];
  /** Names of the files to write, in order: the others, then model.done, then the manifest. */
  write: string[];
  /** The source copy has our manifest: every byte can be verified against it. */
  hasManifest: boolean;
  bytes: number;
}

export interface CopySkip {
  /** `<cv>/<area>/<module>` or a record key. */
  what: string;
  reason: "present" | "incomplete-in-source";
}

export interface CopyPlan {
  copies: PlannedCopy[];
  /** Export records to write (source keys; the destination key is the same). */
  records: ListedObject[];
  skipped: CopySkip[];
  /** Bytes to write. */
  bytes: number;
}

export function planCopy(
  source: Iterable<ListedObject>,
  destination: Iterable<ListedObject>,
  filter: CopyFilter,
): CopyPlan {
  const from = groupStoreListing(source);
  const to = groupStoreListing(destination);
  const present = new Map(to.copies.map((copy) => [copyId(copy), copy]));
  const presentRecords = new Map(to.records.map((record) => [record.key, record.object]));
  const plan: CopyPlan = { copies: [], records: [], skipped: [], bytes: 0 };

  const modules = filter.modules === undefined ? null : new Set(filter.modules);
  const inScope = (copy: EntryCopy): boolean =>
    (modules === null || modules.has(copy.module)) &&
    (filter.compilerVersion === undefined || copy.compilerVersion === filter.compilerVersion) &&
    (filter.modelId === undefined ||
      (copy.area === "model" &&
        copy.modelId === filter.modelId &&
        (filter.task === undefined || copy.task === filter.task)));
  const selected = from.copies.filter(inScope);
  if (filter.modelId !== undefined) {
    // The model's entries in the flat area too, so the destination serves `fetch --all` and mounts.
    const wanted = new Set(selected.map(entryId));
    selected.push(
      ...from.copies.filter(
        (copy) =>
          copy.area === "flat" &&
          wanted.has(entryId(copy)) &&
          (modules === null || modules.has(copy.module)) &&
          (filter.compilerVersion === undefined || copy.compilerVersion === filter.compilerVersion),
      ),
    );
  }

  const copiedAreas = new Set<string>();
  for (const copy of selected) {
    const what = describeCopy(copy);
    if (classifyEntry(copy.files.keys()) !== "success") {
      plan.skipped.push({ what, reason: "incomplete-in-source" });
      continue;
    }
    // Markers of a failed or running compile never travel, even beside a success.
    const files = [...copy.files.entries()].filter(([name]) => entryFileProblem(name) === null);
    const there = present.get(copyId(copy));
    const write = files
      .filter(([name, object]) => {
        const existing = there?.files.get(name);
        return existing === undefined || !sameObject(existing, object);
      })
      .map(([name]) => name)
      .sort(byWriteOrder);
    if (copy.area === "model") copiedAreas.add(`${copy.compilerVersion}|${copy.modelId}|${copy.task}`);
    if (write.length === 0) {
      plan.skipped.push({ what, reason: "present" });
      continue;
    }
    const bytes = write.reduce((sum, name) => sum + (copy.files.get(name)?.size ?? 0), 0);
    plan.copies.push({
      area: copy.area,
      compilerVersion: copy.compilerVersion,
      ...(copy.area === "model" ? { modelId: copy.modelId, task: copy.task } : {}),
      module: copy.module,
      files: files.map(([, object]) => object),
      write,
      hasManifest: copy.files.has(ENTRY_MANIFEST_FILE),
      bytes,
    });
    plan.bytes += bytes;
  }

  for (const record of from.records) {
    if (filter.compilerVersion !== undefined && record.compilerVersion !== filter.compilerVersion) continue;
    if (filter.modelId !== undefined && record.modelId !== filter.modelId) continue;
    if (filter.task !== undefined && filter.modelId !== undefined && record.task !== filter.task) continue;
    // A record travels with its model's entries; one whose area holds nothing complete stays.
    if (!copiedAreas.has(`${record.compilerVersion}|${record.modelId}|${record.task}`)) continue;
    const existing = presentRecords.get(record.key);
    if (existing !== undefined && sameObject(existing, record.object)) {
      plan.skipped.push({ what: record.key, reason: "present" });
      continue;
    }
    plan.records.push(record.object);
    plan.bytes += record.size;
  }
  return plan;
}

// --- internal ---

function describeCopy(copy: EntryCopy): string {
  return `neuronxcc-${copy.compilerVersion}/${copy.area === "model" ? `${copy.modelId}/${copy.task}/` : ""}${copy.module}`;
}

function sameObject(a: ListedObject, b: ListedObject): boolean {
  if (a.size !== b.size) return false;
  return a.md5 === undefined || b.md5 === undefined || a.md5 === b.md5;
}

function byWriteOrder(a: string, b: string): number {
  const rank = (name: string): number => (name === ENTRY_MANIFEST_FILE ? 2 : name === DONE_FILE ? 1 : 0);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
