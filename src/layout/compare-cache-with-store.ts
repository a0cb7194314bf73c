/**
 * `explain` after the fact: a local cache's entries of one compiler version against the store's
 * entries of one area (a model's task area, or the flat area). Pure: which local entries the
 * store lacks (explained by `explainMisses`), which store entries the local cache lacks and why.
 */
import type { EntryState } from "./classify-entry.ts";
import type { StoreEntryFacts } from "./explain-miss.ts";

/** One local entry, by the compiler's rule. */
export interface LocalEntryState {
  module: string;
  state: EntryState;
  /** A compile holds a lock on it. */
  locked: boolean;
}

export type StoreOnlyReason =
  /** The store has a success the local cache has no entry for: a fetch brings it. */
  | "not-fetched"
  /** The local entry is failed or empty while the store has a success: a fetch replaces it. */
  | "local-broken"
  /** A local compile holds its lock: a fetch leaves it alone. */
  | "compiling-locally"
  /** The store's copy is not a complete success: no fetch installs it. */
  | "store-unusable";

export interface StoreOnlyEntry {
  module: string;
  storeState: EntryState;
  localState: EntryState | null;
  reason: StoreOnlyReason;
  detail: string;
}

export interface CacheStoreComparison {
  /** Local successes the store's area has no usable copy of. */
  localOnly: string[];
  /** Store entries the local cache has no success for. */
  storeOnly: StoreOnlyEntry[];
  /** Successes on both sides. */
  shared: string[];
  /** Local entries that are not successes and not in the store: never published. */
  unpublishable: Array<{ module: string; state: EntryState }>;
}

export function compareCacheWithStore(
  local: readonly LocalEntryState[],
  store: readonly StoreEntryFacts[],
): CacheStoreComparison {
  const remote = new Map(store.map((entry) => [entry.module, entry]));
  const localByModule = new Map(local.map((entry) => [entry.module, entry]));
  const result: CacheStoreComparison = { localOnly: [], storeOnly: [], shared: [], unpublishable: [] };
  for (const entry of local) {
    const theirs = remote.get(entry.module);
    const usable = theirs !== undefined && theirs.state === "success" && theirs.problem === null;
    if (entry.state === "success") (usable ? result.shared : result.localOnly).push(entry.module);
    else if (theirs === undefined) result.unpublishable.push({ module: entry.module, state: entry.state });
  }
  for (const entry of store) {
    const mine = localByModule.get(entry.module);
    if (mine?.state === "success") continue;
    const localState = mine?.state ?? null;
    if (entry.state !== "success" || entry.problem !== null) {
      result.storeOnly.push({
        module: entry.module,
        storeState: entry.state,
        localState,
        reason: "store-unusable",
        detail: entry.problem ?? `the store's copy is ${entry.state}, not a complete success`,
      });
      continue;
    }
    const [reason, detail]: [StoreOnlyReason, string] = mine?.locked
      ? ["compiling-locally", "a local compile holds its lock; a fetch leaves it alone"]
      : mine === undefined
        ? ["not-fetched", "not in the local cache; a fetch installs it"]
        : ["local-broken", `the local entry is ${mine.state}; a fetch replaces it with the store's success`];
    result.storeOnly.push({ module: entry.module, storeState: entry.state, localState, reason, detail });
  }
  for (const list of [result.localOnly, result.shared]) list.sort(compare);
  result.storeOnly.sort((a, b) => compare(a.module, b.module));
  result.unpublishable.sort((a, b) => compare(a.module, b.module));
  return result;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
