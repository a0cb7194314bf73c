/**
 * Decides what a sync sends. Pure: the local entries to publish (hashed), what each area of the
 * store holds for them, and the store's capabilities in; the phases, what is skipped and why,
 * and the bytes to send out.
 *
 * A file in an area is right when it is there with the local size and its sha256 is known to
 * equal the local one: from bytes the caller read back (see `filesToVerify`), else from the
 * area's manifest. Everything else is sent again; what is right stays.
 */
import { DONE_FILE, ENTRY_MANIFEST_FILE } from "../layout/entry-files.ts";
import type { EntryManifest, ManifestFile } from "../layout/entry-manifest.ts";
import type { StoreCapabilities, StoreObject } from "../store/store.ts";

export type SyncArea = "flat" | "model";

/**
 * The three phases, in order. The done marker makes an entry a success to the compiler and to
 * readers without a manifest, so it goes after every other file; the manifest goes last.
 */
export type SyncPhase = "files" | "done" | "manifest";
export const SYNC_PHASES: readonly SyncPhase[] = ["files", "done", "manifest"];

/** A local success entry as it would be published: every travelling file, hashed. */
export interface LocalEntryToPublish {
  module: string;
  /** Sorted by name; never the manifest. */
  files: readonly ManifestFile[];
}

/** What one area holds of one entry. */
export interface RemoteEntryState {
  /** The entry's files as listed (the manifest included, when there is one). */
  files: ReadonlyMap<string, StoreObject>;
  /** The area's manifest when it could be read and describes this entry; else null. */
  manifest: EntryManifest | null;
  /** Why a listed manifest is not used (unreadable, malformed, another entry's); else null. */
  manifestProblem: string | null;
  /** sha256 of files the caller read back from this area (see `filesToVerify`). */
  readSha256: ReadonlyMap<string, string>;
}

export interface AreaListing {
  area: SyncArea;
  /** By module name; an entry the area lacks is absent. */
  entries: ReadonlyMap<string, RemoteEntryState>;
}

export interface PlanSyncInput {
  local: readonly LocalEntryToPublish[];
  /** Every area the sync publishes to, the first one first. */
  areas: readonly AreaListing[];
  capabilities: Pick<StoreCapabilities, "batchWrite" | "serverSideCopy">;
}

/**
 * One file to put in some areas. `write` areas get the local bytes (in a batch-writing store,
 * in one registration that sends the content once); `copy` areas are then filled inside the
 * store from `copyFrom`, which is either the first `write` area or an area already right.
 */
export interface PlannedTransfer {
  module: string;
  /** File name inside the entry; `ENTRY_MANIFEST_FILE` in the manifest phase. */
  file: string;
  size: number;
  write: SyncArea[];
  copy: SyncArea[];
  copyFrom: SyncArea | null;
  /** Bytes this transfer sends to the store. */
  bytes: number;
}

/** An entry that gets at least one write or copy, and in which areas. */
export interface PlannedEntry {
  module: string;
  /** Areas where the entry is published or repaired (each gets a fresh manifest). */
  areas: SyncArea[];
  /** Per area, what was wrong: "not in the store", "model.neff has 10 bytes, not 12", … */
  reasons: string[];
  bytes: number;
}

export interface SyncPlanSkip {
  module: string;
  reason: "present";
  detail: string;
}

export interface SyncPlan {
  phases: Array<{ phase: SyncPhase; transfers: PlannedTransfer[] }>;
  entries: PlannedEntry[];
  skipped: SyncPlanSkip[];
  /** Bytes sent in all, manifests excluded (their size is only known when they are built). */
  bytes: number;
}

/** Files at least this large are copied inside the store for another area rather than sent again. */
export const COPY_MIN_BYTES = 4 * 1024 * 1024;

/**
 * The files of `local` whose bytes in an area must be read back before planning: there with the
 * right size, but with no manifest entry to vouch for them (a kill before the manifest phase, or
 * an entry another tool published), and those in `also` (files in doubt whatever the manifest
 * says, since it only vouches for what was written, not for bytes changed in the store since;
 * true: every file). Sizes that differ need no read: they are wrong already.
 */
export function filesToVerify(
  local: LocalEntryToPublish,
  remote: Pick<RemoteEntryState, "files" | "manifest">,
  also: boolean | ReadonlySet<string> = false,
): string[] {
  return local.files
    .filter((file) => {
      const listed = remote.files.get(file.name);
      if (listed === undefined || listed.size !== file.size) return false;
      if (also === true || (also !== false && also.has(file.name))) return true;
      return remote.manifest?.files.find((entry) => entry.name === file.name) === undefined;
    })
    .map((file) => file.name);
}

/** Plans the phases of a sync. */
export function planSync(input: PlanSyncInput): SyncPlan {
  const plan: SyncPlan = {
    phases: SYNC_PHASES.map((phase) => ({ phase, transfers: [] })),
    entries: [],
    skipped: [],
    bytes: 0,
  };
  const [files, done, manifest] = plan.phases as [
    SyncPlan["phases"][number],
    SyncPlan["phases"][number],
    SyncPlan["phases"][number],
  ];
  for (const entry of input.local) {
    const judged = input.areas.map((listing) => ({
      area: listing.area,
      ...judgeArea(entry, listing.entries.get(entry.module)),
    }));
    const stale = judged.filter((area) => area.problem !== null);
    if (stale.length === 0) {
      plan.skipped.push({
        module: entry.module,
        reason: "present",
        detail: "complete in the store and matching the local bytes",
      });
      continue;
    }
    const planned: PlannedEntry = {
      module: entry.module,
      areas: stale.map((area) => area.area),
      reasons: stale.map((area) => `${area.area} area: ${area.problem}`),
      bytes: 0,
    };
    for (const file of entry.files) {
      const targets = judged.filter((area) => !area.right.has(file.name)).map((area) => area.area);
      if (targets.length === 0) continue;
      const rightIn = judged.filter((area) => area.right.has(file.name)).map((area) => area.area);
      const transfer = route(entry.module, file.name, file.size, targets, rightIn, input.capabilities);
      (file.name === DONE_FILE ? done : files).transfers.push(transfer);
      planned.bytes += transfer.bytes;
    }
    manifest.transfers.push(
      route(entry.module, ENTRY_MANIFEST_FILE, 0, planned.areas, [], input.capabilities),
    );
    plan.entries.push(planned);
    plan.bytes += planned.bytes;
  }
  return plan;
}

// --- internal ---

/**
 * Copy or write, decided once here. A batch-writing store sends each content once for all its
 * keys, so every area is written. Elsewhere a copy costs a request like a write and must wait
 * for its source, so only large files are copied (from an area already right when there is one).
 */
function route(
  module: string,
  file: string,
  size: number,
  targets: readonly SyncArea[],
  rightIn: readonly SyncArea[],
  capabilities: PlanSyncInput["capabilities"],
): PlannedTransfer {
  const base = { module, file, size };
  if (capabilities.batchWrite) {
    return { ...base, write: [...targets], copy: [], copyFrom: null, bytes: size };
  }
  if (capabilities.serverSideCopy && size >= COPY_MIN_BYTES) {
    const [from] = rightIn;
    if (from !== undefined) return { ...base, write: [], copy: [...targets], copyFrom: from, bytes: 0 };
    const [first, ...rest] = targets as [SyncArea, ...SyncArea[]];
    return { ...base, write: [first], copy: rest, copyFrom: rest.length > 0 ? first : null, bytes: size };
  }
  return { ...base, write: [...targets], copy: [], copyFrom: null, bytes: size * targets.length };
}

/** Which local files an area holds right, and the first thing wrong with it (null: complete). */
function judgeArea(
  local: LocalEntryToPublish,
  remote: RemoteEntryState | undefined,
): { right: Set<string>; problem: string | null } {
  const right = new Set<string>();
  if (remote === undefined) return { right, problem: "not in the store" };
  const problems: string[] = [];
  for (const file of local.files) {
    const listed = remote.files.get(file.name);
    if (listed === undefined) {
      problems.push(`${file.name} is missing`);
      continue;
    }
    if (listed.size !== file.size) {
      problems.push(`${file.name} has ${listed.size} bytes, not ${file.size}`);
      continue;
    }
    // Bytes read back outrank the manifest: they are what the store holds now.
    const known =
      remote.readSha256.get(file.name) ??
      remote.manifest?.files.find((entry) => entry.name === file.name)?.sha256;
    if (known !== file.sha256) {
      problems.push(
        known === undefined
          ? `${file.name} could not be verified`
          : `${file.name} differs from the local bytes`,
      );
      continue;
    }
    right.add(file.name);
  }
  if (problems.length === 0) {
    if (remote.manifest === null) {
      problems.push(
        remote.manifestProblem === null
          ? "the manifest is missing"
          : `the manifest ${remote.manifestProblem}`,
      );
    } else if (!sameFiles(remote.manifest.files, local.files)) {
      problems.push("the manifest does not list the local files");
    }
  }
  return { right, problem: problems.length === 0 ? null : problems.join("; ") };
}

function sameFiles(a: readonly ManifestFile[], b: readonly ManifestFile[]): boolean {
  if (a.length !== b.length) return false;
  const byName = new Map(a.map((file) => [file.name, file]));
  return b.every((file) => {
    const other = byName.get(file.name);
    return other !== undefined && other.size === file.size && other.sha256 === file.sha256;
  });
}
