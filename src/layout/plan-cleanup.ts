import type { EntryState } from "./classify-entry.ts";
import { isCurrentVersionDir } from "./compiler-version.ts";

/** What the planner needs to know about an entry. */
export interface PlannableEntry {
  versionDir: string;
  path: string;
  state: EntryState;
  sizeBytes: number;
  /** Last use, ms since the epoch (see `ScannedEntry.lastUsedMs`). */
  lastUsedMs: number;
  lockFiles: readonly { name: string; sizeBytes: number }[];
}

/** What to remove. Every flag is explicit here; defaults live with the command. */
export interface CleanupPolicy {
  failed: boolean;
  locks: boolean;
  empty: boolean;
  /** Remove version dirs other than `currentVersion`'s (requires `currentVersion`). */
  oldVersions: boolean;
  /** The current compiler version (without `neuronxcc-`), or null when unknown. */
  currentVersion: string | null;
  /** Evict least-recently-used success entries until the entries left total at most this. */
  maxSizeBytes: number | null;
  /** Evict success entries not used for this long. */
  unusedForMs: number | null;
  /** "Now" for `unusedForMs`, ms since the epoch. */
  nowMs: number;
}

/** Why an entry is removed. */
export type RemovalReason = "failed" | "empty" | "unused" | "over-size";

export interface CleanupPlan<E extends PlannableEntry> {
  /** Version dirs removed whole. */
  oldVersionDirs: string[];
  /** Entries removed whole, in removal order (eviction in least-recently-used order). */
  entries: { entry: E; reason: RemovalReason }[];
  /** Lock files removed from locked entries (the entry dirs stay). */
  locks: { entry: E; name: string; sizeBytes: number }[];
  /** Bytes of entries left after the plan runs (entries only, as `status` counts them). */
  remainingBytes: number;
}

/**
 * Decides what a cleanup removes. Failed, empty and locked entries follow their flags; old
 * version dirs go whole; then success entries are evicted: first every entry unused for longer
 * than `unusedForMs`, then, oldest use first, as many as it takes to bring the remaining
 * entries to `maxSizeBytes`. Only success entries are ever evicted; ties break by path so the
 * plan is deterministic.
 */
export function planCleanup<E extends PlannableEntry>(
  scan: { versionDirs: readonly string[]; entries: readonly E[] },
  policy: CleanupPolicy,
): CleanupPlan<E> {
  const oldVersionDirs =
    policy.oldVersions && policy.currentVersion !== null
      ? scan.versionDirs.filter((dir) => !isCurrentVersionDir(dir, policy.currentVersion as string))
      : [];
  const oldSet = new Set(oldVersionDirs);
  const plan: CleanupPlan<E> = { oldVersionDirs, entries: [], locks: [], remainingBytes: 0 };
  const candidates: E[] = [];
  let remaining = 0;
  for (const entry of scan.entries) {
    if (oldSet.has(entry.versionDir)) continue;
    if (entry.state === "failed" && policy.failed) {
      plan.entries.push({ entry, reason: "failed" });
      continue;
    }
    if (entry.state === "empty" && policy.empty) {
      plan.entries.push({ entry, reason: "empty" });
      continue;
    }
    if (entry.state === "locked" && policy.locks) {
      for (const lock of entry.lockFiles)
        plan.locks.push({ entry, name: lock.name, sizeBytes: lock.sizeBytes });
      remaining += entry.sizeBytes - entry.lockFiles.reduce((sum, lock) => sum + lock.sizeBytes, 0);
      continue;
    }
    if (entry.state === "success") candidates.push(entry);
    remaining += entry.sizeBytes;
  }

  candidates.sort((a, b) => a.lastUsedMs - b.lastUsedMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let next = 0;
  if (policy.unusedForMs !== null) {
    const cutoff = policy.nowMs - policy.unusedForMs;
    while (next < candidates.length && (candidates[next] as E).lastUsedMs < cutoff) {
      const entry = candidates[next] as E;
      plan.entries.push({ entry, reason: "unused" });
      remaining -= entry.sizeBytes;
      next += 1;
    }
  }
  if (policy.maxSizeBytes !== null) {
    while (next < candidates.length && remaining > policy.maxSizeBytes) {
      const entry = candidates[next] as E;
      plan.entries.push({ entry, reason: "over-size" });
      remaining -= entry.sizeBytes;
      next += 1;
    }
  }
  plan.remainingBytes = remaining;
  return plan;
}
