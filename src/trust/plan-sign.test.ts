import { describe, expect, it } from "vitest";
import type { StoreObject } from "../store/store.ts";
import { planSign } from "./plan-sign.ts";

const CV = "neuronxcc-2.21.0+abc";
const ID = "0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210";
const MANIFEST = "neff-cache.manifest.json";
const files = (prefix: string, names: string[]): StoreObject[] =>
  names.map((name) => ({ key: `${prefix}/${name}`, size: 1 }));
const SUCCESS = ["model.hlo_module.pb", "compile_flags.json", "model.neff", "model.done"];

describe("planSign", () => {
  const cases: Array<{ name: string; objects: StoreObject[]; targets: unknown[]; skipped: unknown[] }> = [
    {
      name: "a success with a manifest, in each area, is a target",
      objects: [
        ...files(`${CV}/MODULE_a+b`, [...SUCCESS, MANIFEST]),
        ...files(`${CV}/org/m/default/MODULE_a+b`, [...SUCCESS, MANIFEST]),
      ],
      targets: [
        { subject: "entry", key: `${CV}/MODULE_a+b/${MANIFEST}`, hasOwnSignature: false },
        { subject: "entry", key: `${CV}/org/m/default/MODULE_a+b/${MANIFEST}`, hasOwnSignature: false },
      ],
      skipped: [],
    },
    {
      name: "its own signature is noted (to be checked), another key's is not",
      objects: [
        ...files(`${CV}/MODULE_a+b`, [...SUCCESS, MANIFEST, `${MANIFEST}.sig-${ID}`]),
        ...files(`${CV}/MODULE_c+d`, [...SUCCESS, MANIFEST, `${MANIFEST}.sig-${OTHER}`]),
      ],
      targets: [
        { key: `${CV}/MODULE_a+b/${MANIFEST}`, hasOwnSignature: true },
        { key: `${CV}/MODULE_c+d/${MANIFEST}`, hasOwnSignature: false },
      ],
      skipped: [],
    },
    {
      name: "signature files are not entry files",
      objects: files(`${CV}/MODULE_a+b`, [...SUCCESS, MANIFEST, `${MANIFEST}.sig-${ID}`]),
      targets: [
        { files: new Map(SUCCESS.map((name) => [name, { key: `${CV}/MODULE_a+b/${name}`, size: 1 }])) },
      ],
      skipped: [],
    },
    {
      name: "an entry without a manifest (optimum-neuron's) and a failed one are skipped with why",
      objects: [
        ...files(`${CV}/MODULE_a+b`, SUCCESS),
        ...files(`${CV}/MODULE_c+d`, ["model.hlo_module.pb", "compile_flags.json"]),
      ],
      targets: [],
      skipped: [
        { key: `${CV}/MODULE_a+b`, reason: "no-manifest" },
        { key: `${CV}/MODULE_c+d`, reason: "incomplete" },
      ],
    },
    {
      name: "records are targets; a signature whose record is gone signs nothing",
      objects: [
        { key: `${CV}/org/m/default/exports/0.4.6/0011aabb.json`, size: 9 },
        { key: `${CV}/org/m/default/exports/0.4.6/0011aabb.json.sig-${ID}`, size: 9 },
        { key: `${CV}/org/m/default/exports/0.4.6/ffffffff.json.sig-${ID}`, size: 9 },
      ],
      targets: [
        { subject: "record", key: `${CV}/org/m/default/exports/0.4.6/0011aabb.json`, hasOwnSignature: true },
      ],
      skipped: [],
    },
    {
      name: "keys outside the layout are ignored",
      objects: [{ key: "README.md", size: 1 }, ...files(`${CV}/MODULE_a+b`, ["model.log", "x.lock"])],
      targets: [],
      skipped: [],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const plan = planSign(testCase.objects, ID);
      expect(plan.targets).toHaveLength(testCase.targets.length);
      testCase.targets.forEach((target, index) =>
        expect(plan.targets[index]).toMatchObject(target as object),
      );
      expect(plan.skipped).toHaveLength(testCase.skipped.length);
      testCase.skipped.forEach((skip, index) => expect(plan.skipped[index]).toMatchObject(skip as object));
    });
  }
});
