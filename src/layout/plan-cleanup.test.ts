import { describe, expect, it } from "vitest";
import type { EntryState } from "./classify-entry.ts";
import { planCleanup, type CleanupPolicy, type PlannableEntry } from "./plan-cleanup.ts";

const V = "neuronxcc-2.0.0+aa";
const OLD = "neuronxcc-1.0.0+bb";

function entry(
  name: string,
  state: EntryState,
  sizeBytes: number,
  lastUsedMs = 0,
  versionDir = V,
): PlannableEntry {
  const lockFiles = state === "locked" ? [{ name: "model.hlo_module.pb.lock", sizeBytes: 0 }] : [];
  return { versionDir, path: `/c/${versionDir}/${name}`, state, sizeBytes, lastUsedMs, lockFiles };
}

const defaults: CleanupPolicy = {
  failed: true,
  locks: true,
  empty: false,
  oldVersions: false,
  currentVersion: null,
  maxSizeBytes: null,
  unusedForMs: null,
  nowMs: 1_000_000,
};

function names(plan: ReturnType<typeof planCleanup>): string[] {
  return plan.entries.map(({ entry: e, reason }) => `${reason}:${e.path.split("/").pop()}`);
}

describe("planCleanup", () => {
  const entries = [
    entry("MODULE_s1", "success", 100, 10),
    entry("MODULE_f1", "failed", 20),
    entry("MODULE_l1", "locked", 5),
    entry("MODULE_e1", "empty", 7),
  ];

  it("removes failed entries and locks by default and keeps success and empty entries", () => {
    const plan = planCleanup({ versionDirs: [V], entries }, defaults);
    expect(names(plan)).toEqual(["failed:MODULE_f1"]);
    expect(plan.locks.map((l) => l.name)).toEqual(["model.hlo_module.pb.lock"]);
    expect(plan.remainingBytes).toBe(112);
  });

  it("follows the flags", () => {
    const plan = planCleanup(
      { versionDirs: [V], entries },
      { ...defaults, failed: false, locks: false, empty: true },
    );
    expect(names(plan)).toEqual(["empty:MODULE_e1"]);
    expect(plan.locks).toEqual([]);
  });

  it("removes old version dirs whole only with a known current version", () => {
    const withOld = [...entries, entry("MODULE_o1", "success", 1000, 0, OLD)];
    const unknown = planCleanup(
      { versionDirs: [OLD, V], entries: withOld },
      { ...defaults, oldVersions: true },
    );
    expect(unknown.oldVersionDirs).toEqual([]);
    const known = planCleanup(
      { versionDirs: [OLD, V], entries: withOld },
      { ...defaults, oldVersions: true, currentVersion: "2.0.0" },
    );
    expect(known.oldVersionDirs).toEqual([OLD]);
    expect(names(known)).toEqual(["failed:MODULE_f1"]);
    expect(known.remainingBytes).toBe(112);
  });

  it("evicts least-recently-used success entries until under the size limit", () => {
    const many = [
      entry("MODULE_a", "success", 100, 300),
      entry("MODULE_b", "success", 100, 100),
      entry("MODULE_c", "success", 100, 200),
      entry("MODULE_d", "success", 100, 400),
      entry("MODULE_e", "empty", 50),
    ];
    const plan = planCleanup({ versionDirs: [V], entries: many }, { ...defaults, maxSizeBytes: 250 });
    expect(names(plan)).toEqual(["over-size:MODULE_b", "over-size:MODULE_c"]);
    expect(plan.remainingBytes).toBe(250);
  });

  it("breaks ties in last use by path", () => {
    const tied = [entry("MODULE_z", "success", 10, 5), entry("MODULE_y", "success", 10, 5)];
    const plan = planCleanup({ versionDirs: [V], entries: tied }, { ...defaults, maxSizeBytes: 10 });
    expect(names(plan)).toEqual(["over-size:MODULE_y"]);
  });

  it("evicts entries unused for longer than the age limit, then by size", () => {
    const many = [
      entry("MODULE_old", "success", 100, 100),
      entry("MODULE_mid", "success", 100, 800_000),
      entry("MODULE_new", "success", 100, 999_000),
    ];
    const byAge = planCleanup({ versionDirs: [V], entries: many }, { ...defaults, unusedForMs: 500_000 });
    expect(names(byAge)).toEqual(["unused:MODULE_old"]);
    const both = planCleanup(
      { versionDirs: [V], entries: many },
      { ...defaults, unusedForMs: 500_000, maxSizeBytes: 100 },
    );
    expect(names(both)).toEqual(["unused:MODULE_old", "over-size:MODULE_mid"]);
  });

  it("never evicts entries that are not successes", () => {
    const plan = planCleanup(
      { versionDirs: [V], entries: [entry("MODULE_l", "locked", 1000), entry("MODULE_e", "empty", 1000)] },
      { ...defaults, locks: false, maxSizeBytes: 0, unusedForMs: 0 },
    );
    expect(plan.entries).toEqual([]);
    expect(plan.remainingBytes).toBe(2000);
  });
});
