/**
 * Decides which remote entries a fetch downloads. Pure: remote entries and local entry states
 * in, a plan out.
 */
import type { EntryState } from "../layout/classify-entry.ts";
import type { RemoteEntry } from "./remote-entries.ts";

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
      plan.skipped.push({ module: entry.module, reason: "present", detail: "already a success locally" });
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
