import { describe, expect, it } from "vitest";
import type { PruneListedObject, PruneSelectors } from "./plan-prune.ts";
import { compareCompilerVersions, planPrune } from "./plan-prune.ts";

const NOW = new Date("2026-12-01T00:00:00Z");
const DAY = 86_400_000;
const A = "2.20.0.0+aaa";
const B = "2.21.0.0+bbb";
const C = "2.9.0.0+ccc";
const E1 = "MODULE_e1+f";
const E2 = "MODULE_e2+f";
const E3 = "MODULE_e3+f";
const E4 = "MODULE_e4+f";
const F = "MODULE_failed+f";
const L = "MODULE_locked+f";
const SUCCESS = ["model.neff", "model.hlo_module.pb", "model.done", "neff-cache.manifest.json"];

const listing: PruneListedObject[] = [];
const add = (prefix: string, module: string, files: string[], ageDays: number): void => {
  for (const file of files) {
    listing.push({
      key: `${prefix}/${module}/${file}`,
      size: 10,
      lastModified: new Date(NOW.getTime() - ageDays * DAY),
    });
  }
};
add(`neuronxcc-${B}`, E1, SUCCESS, 100);
add(`neuronxcc-${B}/org/m1/t`, E1, SUCCESS, 100);
add(`neuronxcc-${B}`, E2, SUCCESS, 5);
add(`neuronxcc-${B}/org/m1/t`, E2, SUCCESS, 5);
add(`neuronxcc-${B}/org/m2/default`, E2, SUCCESS, 4);
add(`neuronxcc-${B}`, F, ["model.hlo_module.pb", "model.log"], 1);
add(`neuronxcc-${B}/org/m1/t`, L, ["model.neff", "compile.lock"], 1);
add(`neuronxcc-${A}`, E3, SUCCESS, 200);
add(`neuronxcc-${A}/org/m1/t`, E3, SUCCESS, 200);
add(`neuronxcc-${C}`, E4, SUCCESS, 300);
const RECORD_B = `neuronxcc-${B}/org/m1/t/exports/0.4.6/0123abcd.json`;
const RECORD_A = `neuronxcc-${A}/org/m1/t/exports/0.4.6/89abcdef.json`;
const RECORD_DANGLING = `neuronxcc-${B}/org/m3/default/exports/0.4.6/deadbeef.json`;
listing.push({ key: RECORD_B, size: 50 }, { key: RECORD_A, size: 50 }, { key: RECORD_DANGLING, size: 50 });
const NESTED = `neuronxcc-${B}/${E1}/sub/file.bin`;
const STRAY = `neuronxcc-${B}/stray.txt`;
listing.push(
  { key: NESTED, size: 1 },
  { key: STRAY, size: 1 },
  { key: "README.md", size: 1 },
  { key: ".gitattributes", size: 1 },
);

describe("planPrune", () => {
  const cases: Array<{
    what: string;
    selectors: PruneSelectors;
    entries: string[];
    records: string[];
    junk?: string[];
  }> = [
    {
      what: "a whole compiler version, every area and its records",
      selectors: { compilerVersion: A },
      entries: [`${A} flat ${E3} compiler-version`, `${A} org/m1/t ${E3} compiler-version`],
      records: [RECORD_A],
    },
    {
      what: "every version but the newest, by release number (2.9 is older than 2.20)",
      selectors: { keepCompilerVersions: 1 },
      entries: [
        `${A} flat ${E3} old-compiler-version`,
        `${A} org/m1/t ${E3} old-compiler-version`,
        `${C} flat ${E4} old-compiler-version`,
      ],
      records: [RECORD_A],
    },
    {
      what: "old entries in every area, keeping records whose area still has entries",
      selectors: { olderThanMs: 90 * DAY, compilerVersion: B },
      entries: [`${B} flat ${E1} older-than`, `${B} org/m1/t ${E1} older-than`],
      records: [],
    },
    {
      what: "a model's copies, its records, and the flat copies no other model uses",
      selectors: { modelId: "org/m1" },
      entries: [
        `${A} flat ${E3} model`,
        `${A} org/m1/t ${E3} model`,
        `${B} flat ${E1} model`,
        `${B} org/m1/t ${E1} model`,
        `${B} org/m1/t ${E2} model`,
        `${B} org/m1/t ${L} model`,
      ],
      records: [RECORD_A, RECORD_B],
    },
    {
      what: "a model sharing its entry with another: the flat copy stays",
      selectors: { modelId: "org/m2" },
      entries: [`${B} org/m2/default ${E2} model`],
      records: [],
    },
    {
      what: "a model's old entries only",
      selectors: { modelId: "org/m1", olderThanMs: 90 * DAY, compilerVersion: B },
      entries: [`${B} flat ${E1} older-than`, `${B} org/m1/t ${E1} older-than`],
      records: [],
    },
    {
      what: "failed and locked copies alone, and a record that describes nothing",
      selectors: { incomplete: true },
      entries: [`${B} flat ${F} incomplete`, `${B} org/m1/t ${L} incomplete`],
      records: [RECORD_DANGLING],
    },
    {
      what: "junk under neuronxcc-* dirs, never someone else's keys",
      selectors: { junk: true },
      entries: [],
      records: [],
      junk: [NESTED, STRAY],
    },
    {
      what: "a record whose area this prune empties",
      selectors: { compilerVersion: B, olderThanMs: 3 * DAY },
      entries: [
        `${B} flat ${E1} older-than`,
        `${B} flat ${E2} older-than`,
        `${B} org/m1/t ${E1} older-than`,
        `${B} org/m1/t ${E2} older-than`,
        `${B} org/m2/default ${E2} older-than`,
      ],
      records: [RECORD_B],
    },
  ];
  for (const c of cases) {
    it(`removes ${c.what}`, () => {
      const plan = planPrune(listing, c.selectors, NOW);
      expect(
        plan.entries.map(
          (entry) =>
            `${entry.compilerVersion} ${entry.area === "flat" ? "flat" : `${entry.modelId}/${entry.task}`} ${entry.module} ${entry.reason}`,
        ),
      ).toEqual([...c.entries].sort());
      expect(plan.records.map((record) => record.key)).toEqual(c.records);
      expect(plan.junk.map((key) => key.key)).toEqual(c.junk ?? []);
      expect(plan.kept.foreignKeys).toBe(2);
      const keys =
        plan.entries.reduce((sum, entry) => sum + entry.markerKeys.length + entry.fileKeys.length, 0) +
        plan.records.length +
        plan.junk.length;
      expect(plan.keys).toBe(keys);
    });
  }

  it("puts model.done and the manifest apart, to be deleted first", () => {
    const plan = planPrune(listing, { compilerVersion: C }, NOW);
    expect(plan.entries[0]?.markerKeys).toEqual([
      `neuronxcc-${C}/${E4}/model.done`,
      `neuronxcc-${C}/${E4}/neff-cache.manifest.json`,
    ]);
    expect(plan.entries[0]?.fileKeys).toEqual([
      `neuronxcc-${C}/${E4}/model.hlo_module.pb`,
      `neuronxcc-${C}/${E4}/model.neff`,
    ]);
    expect(plan.bytes).toBe(40);
  });

  it("keeps a failed copy's model.log and lock files with their entry, not as junk", () => {
    const plan = planPrune(listing, { incomplete: true, junk: true }, NOW);
    const failed = plan.entries.find((entry) => entry.module === F);
    expect(failed?.state).toBe("failed");
    expect(failed?.fileKeys).toContain(`neuronxcc-${B}/${F}/model.log`);
    expect(plan.junk.map((key) => key.key)).not.toContain(`neuronxcc-${B}/${F}/model.log`);
  });

  it("lists the compiler versions newest first", () => {
    expect(planPrune(listing, { junk: true }, NOW).compilerVersions).toEqual([B, A, C]);
  });
});

describe("compareCompilerVersions", () => {
  const cases = [
    ["2.9.0.0", "2.21.0.0", -1],
    ["2.21.33363.0+82129205", "2.21.33363.0+0000", 1],
    ["2.21.1", "2.21.1.0", -1],
    ["2.21.0.0", "2.21.0.0", 0],
  ] as const;
  for (const [a, b, sign] of cases) {
    it(`orders ${a} ${sign < 0 ? "before" : sign > 0 ? "after" : "with"} ${b}`, () => {
      expect(Math.sign(compareCompilerVersions(a, b))).toBe(sign);
    });
  }
});
