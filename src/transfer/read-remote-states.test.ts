import { describe, expect, it } from "vitest";
import type { StoreObject } from "../store/store.ts";
import { listedCopiesDiffer } from "./listed-hash.ts";
import { disputedFiles } from "./read-remote-states.ts";
import type { RemoteEntry } from "./remote-entries.ts";

const object = (fields: Partial<StoreObject>): StoreObject => ({ key: "k", size: 10, ...fields });

describe("listedCopiesDiffer", () => {
  const cases: Array<[string, Partial<StoreObject>, Partial<StoreObject>, boolean]> = [
    ["same MD5", { md5: "a" }, { md5: "a" }, false],
    ["other MD5", { md5: "a" }, { md5: "b" }, true],
    ["same Xet hash", { xetHash: "x" }, { xetHash: "x" }, false],
    ["other Xet hash", { xetHash: "x" }, { xetHash: "y" }, true],
    ["one MD5 only (a multipart ETag beside a copy's MD5)", { md5: "a" }, {}, false],
    ["no hashes (a directory store)", {}, {}, false],
    ["other sizes", { size: 10 }, { size: 11 }, true],
  ];
  for (const [name, a, b, differ] of cases) {
    it(name, () => {
      expect(listedCopiesDiffer(object(a), object(b))).toBe(differ);
      expect(listedCopiesDiffer(object(b), object(a))).toBe(differ);
    });
  }
});

describe("disputedFiles", () => {
  const entry = (module: string, files: Record<string, Partial<StoreObject>>): RemoteEntry => ({
    module,
    state: "success",
    files: new Map(Object.entries(files).map(([name, fields]) => [name, object(fields)])),
  });

  it("names, by module, the files whose copies in two areas hold other bytes", () => {
    const flat = [
      entry("MODULE_a", { "model.neff": { md5: "1" }, "model.done": { md5: "0" } }),
      entry("MODULE_b", { "model.neff": { md5: "2" } }),
      entry("MODULE_c", { "model.neff": { md5: "3" } }),
    ];
    const model = [
      entry("MODULE_a", { "model.neff": { md5: "9" }, "model.done": { md5: "0" } }),
      entry("MODULE_b", { "model.neff": { md5: "2" } }),
    ];
    expect(disputedFiles([flat, model])).toEqual(new Map([["MODULE_a", new Set(["model.neff"])]]));
  });

  it("has nothing to compare in one area", () => {
    expect(disputedFiles([[entry("MODULE_a", { "model.neff": { md5: "1" } })]])).toEqual(new Map());
    expect(disputedFiles([])).toEqual(new Map());
  });
});
