import { describe, expect, it } from "vitest";
import type { ListedObject } from "./group-store-listing.ts";
import type { CopyFilter } from "./plan-copy.ts";
import { planCopy } from "./plan-copy.ts";

const CV = "2.21.0.0+bbb";
const OLD = "2.20.0.0+aaa";
const FILES = ["model.hlo_module.pb", "model.neff", "model.done", "neff-cache.manifest.json"];
const entry = (prefix: string, module: string, files = FILES, md5 = "m"): ListedObject[] =>
  files.map((file) => ({ key: `${prefix}/${module}/${file}`, size: file.length, md5: `${md5}-${file}` }));
const flat = (cv: string) => `neuronxcc-${cv}`;
const area = (cv: string, model: string) => `neuronxcc-${cv}/${model}/default`;
const record = (cv: string, model: string): ListedObject => ({
  key: `${area(cv, model)}/exports/0.4.6/0123abcd.json`,
  size: 20,
});

const source: ListedObject[] = [
  ...entry(flat(CV), "MODULE_a"),
  ...entry(area(CV, "org/m1"), "MODULE_a"),
  ...entry(flat(CV), "MODULE_b"),
  ...entry(area(CV, "org/m2"), "MODULE_b"),
  ...entry(flat(CV), "MODULE_failed", ["model.hlo_module.pb", "model.log"]),
  ...entry(area(CV, "org/m1"), "MODULE_lockedtoo", ["model.neff", "model.done", "x.lock"]),
  ...entry(flat(OLD), "MODULE_old"),
  record(CV, "org/m1"),
  record(CV, "org/m2"),
  record(CV, "org/m3"),
  { key: "README.md", size: 5 },
];

describe("planCopy", () => {
  const cases: Array<{
    what: string;
    destination: ListedObject[];
    filter: CopyFilter;
    copies: string[];
    records: string[];
  }> = [
    {
      what: "every complete copy and the records of areas with entries, into an empty store",
      destination: [],
      filter: {},
      copies: [
        `${flat(CV)}/MODULE_a:4`,
        `${area(CV, "org/m1")}/MODULE_a:4`,
        `${flat(CV)}/MODULE_b:4`,
        `${area(CV, "org/m2")}/MODULE_b:4`,
        `${area(CV, "org/m1")}/MODULE_lockedtoo:2`,
        `${flat(OLD)}/MODULE_old:4`,
      ],
      records: [record(CV, "org/m1").key, record(CV, "org/m2").key],
    },
    {
      what: "nothing when the destination holds it all",
      destination: source,
      filter: {},
      copies: [],
      records: [],
    },
    {
      what: "only the missing files of a copy a killed run left, markers last",
      destination: [...entry(flat(CV), "MODULE_a", ["model.hlo_module.pb"])],
      filter: { modelId: "org/m1", compilerVersion: CV },
      copies: [
        `${flat(CV)}/MODULE_a:3`,
        `${area(CV, "org/m1")}/MODULE_a:4`,
        `${area(CV, "org/m1")}/MODULE_lockedtoo:2`,
      ],
      records: [record(CV, "org/m1").key],
    },
    {
      what: "a file whose MD5 differs again",
      destination: [...entry(flat(CV), "MODULE_b", FILES, "other")],
      filter: { compilerVersion: CV, modelId: "org/m2" },
      copies: [`${flat(CV)}/MODULE_b:4`, `${area(CV, "org/m2")}/MODULE_b:4`],
      records: [record(CV, "org/m2").key],
    },
    {
      what: "only the entries named, in both areas, with their model's record (a tier backfill)",
      destination: [],
      filter: { compilerVersion: CV, modelId: "org/m1", modules: ["MODULE_a"] },
      copies: [`${flat(CV)}/MODULE_a:4`, `${area(CV, "org/m1")}/MODULE_a:4`],
      records: [record(CV, "org/m1").key],
    },
    {
      what: "only the flat copies of the entries named, without a model",
      destination: [],
      filter: { compilerVersion: CV, modules: ["MODULE_b", "MODULE_old"] },
      copies: [`${flat(CV)}/MODULE_b:4`, `${area(CV, "org/m2")}/MODULE_b:4`],
      records: [record(CV, "org/m2").key],
    },
  ];
  for (const c of cases) {
    it(`plans ${c.what}`, () => {
      const plan = planCopy(source, c.destination, c.filter);
      const prefixOf = (job: (typeof plan.copies)[number]) =>
        job.area === "flat" ? flat(job.compilerVersion) : area(job.compilerVersion, job.modelId ?? "");
      expect(plan.copies.map((job) => `${prefixOf(job)}/${job.module}:${job.write.length}`).sort()).toEqual(
        [...c.copies].sort(),
      );
      expect(plan.records.map((object) => object.key).sort()).toEqual([...c.records].sort());
    });
  }

  it("writes the other files first, then model.done, then the manifest; never logs or locks", () => {
    const plan = planCopy(source, [], {});
    for (const job of plan.copies) {
      const names = job.write;
      expect(names.indexOf("model.done")).toBeGreaterThan(names.indexOf("model.neff"));
      if (job.hasManifest) expect(names.at(-1)).toBe("neff-cache.manifest.json");
      expect(names.some((name) => name.endsWith(".lock") || name === "model.log")).toBe(false);
    }
    expect(plan.skipped).toEqual([{ what: `${flat(CV)}/MODULE_failed`, reason: "incomplete-in-source" }]);
  });
});
