import { describe, expect, it } from "vitest";
import type { EntryState } from "../layout/classify-entry.ts";
import type { ListItem, StoreObject } from "../store/store.ts";
import type { AreaFolders, FetchListing, FetchSkip } from "./plan-fetch.ts";
import { PER_FOLDER_LISTING_LIMIT, planFetch, planFetchListing, readAreaFolders } from "./plan-fetch.ts";
import type { RemoteEntry } from "./remote-entries.ts";

const FLAT = "neuronxcc-2.21.0.0+abc";
const MODEL = `${FLAT}/org/model/default`;
const dir = (key: string): ListItem => ({ type: "dir", key });
const file = (key: string): ListItem => ({ type: "file", key, size: 1 });
const moduleNames = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `MODULE_${String(i).padStart(4, "0")}+a`);
const present = (module: string): FetchSkip => ({
  module,
  reason: "present",
  detail: "already a success locally",
});

describe("readAreaFolders", () => {
  const cases: {
    name: string;
    items: ListItem[];
    prefix: string;
    area: "flat" | "model";
    want: AreaFolders;
  }[] = [
    {
      name: "entry folders of a model's area, sorted, beside its export records",
      items: [dir(`${MODEL}/MODULE_2+b`), dir(`${MODEL}/exports`), dir(`${MODEL}/MODULE_1+a`)],
      prefix: MODEL,
      area: "model",
      want: { ok: true, modules: ["MODULE_1+a", "MODULE_2+b"] },
    },
    { name: "an empty area", items: [], prefix: MODEL, area: "model", want: { ok: true, modules: [] } },
    {
      name: "the flat area ignores the per-model areas below it",
      items: [dir(`${FLAT}/MODULE_1+a`), dir(`${FLAT}/org`), dir(`${FLAT}/gpt2`)],
      prefix: FLAT,
      area: "flat",
      want: { ok: true, modules: ["MODULE_1+a"] },
    },
    {
      name: "a stray file in the area needs the file listing, which reports it",
      items: [dir(`${MODEL}/MODULE_1+a`), file(`${MODEL}/notes.txt`)],
      prefix: MODEL,
      area: "model",
      want: { ok: false, detail: `${MODEL}/notes.txt is not an entry folder` },
    },
    {
      name: "a folder of a model's area that is no entry needs the file listing",
      items: [dir(`${MODEL}/MODULE_1+a`), dir(`${MODEL}/other`)],
      prefix: MODEL,
      area: "model",
      want: { ok: false, detail: `${MODEL}/other is not an entry folder` },
    },
    {
      name: "a MODULE folder with a bad name needs the file listing, in the flat area too",
      items: [dir(`${FLAT}/MODULE_bad!name`)],
      prefix: FLAT,
      area: "flat",
      want: { ok: false, detail: `${FLAT}/MODULE_bad!name is not an entry folder` },
    },
    {
      name: "a child outside the prefix is not trusted as a folder",
      items: [dir(`${FLAT}-other/MODULE_1+a`)],
      prefix: FLAT,
      area: "flat",
      want: { ok: false, detail: `${FLAT}-other/MODULE_1+a is not an entry folder` },
    },
    {
      name: "a nested key reported as a folder is not trusted",
      items: [dir(`${MODEL}/MODULE_1+a/deeper`)],
      prefix: MODEL,
      area: "model",
      want: { ok: false, detail: `${MODEL}/MODULE_1+a/deeper is not an entry folder` },
    },
  ];
  for (const { name, items, prefix, area, want } of cases) {
    it(name, () => {
      expect(readAreaFolders(items, prefix, area)).toEqual(want);
    });
  }
});

describe("planFetchListing", () => {
  const many = moduleNames(PER_FOLDER_LISTING_LIMIT + 2);
  const states = (entries: [string, EntryState | null][]): Map<string, EntryState | null> => new Map(entries);
  const allSuccess = states(many.map((m) => [m, "success"]));
  const cases: {
    name: string;
    folders: AreaFolders;
    local: Map<string, EntryState | null>;
    want: FetchListing;
  }[] = [
    {
      name: "every folder a local success: no file listing, each reported present",
      folders: { ok: true, modules: ["MODULE_1+a", "MODULE_2+b"] },
      local: states([
        ["MODULE_1+a", "success"],
        ["MODULE_2+b", "success"],
      ]),
      want: { kind: "none", present: [present("MODULE_1+a"), present("MODULE_2+b")] },
    },
    {
      name: "an empty area lists nothing more",
      folders: { ok: true, modules: [] },
      local: states([]),
      want: { kind: "none", present: [] },
    },
    {
      name: "a few folders missing, failed, empty or locked locally: those folders only",
      folders: { ok: true, modules: ["MODULE_1+a", "MODULE_2+b", "MODULE_3+c", "MODULE_4+d", "MODULE_5+e"] },
      local: states([
        ["MODULE_1+a", "success"],
        ["MODULE_2+b", null],
        ["MODULE_3+c", "failed"],
        ["MODULE_4+d", "empty"],
        ["MODULE_5+e", "locked"],
      ]),
      want: {
        kind: "folders",
        modules: ["MODULE_2+b", "MODULE_3+c", "MODULE_4+d", "MODULE_5+e"],
        present: [present("MODULE_1+a")],
      },
    },
    {
      name: "a folder with no local state read counts as missing",
      folders: { ok: true, modules: ["MODULE_1+a", "MODULE_2+b"] },
      local: states([["MODULE_1+a", "success"]]),
      want: { kind: "folders", modules: ["MODULE_2+b"], present: [present("MODULE_1+a")] },
    },
    {
      name: "up to the limit of missing folders: folder by folder",
      folders: { ok: true, modules: many },
      local: states(many.map((m, i) => [m, i < PER_FOLDER_LISTING_LIMIT ? null : "success"])),
      want: {
        kind: "folders",
        modules: many.slice(0, PER_FOLDER_LISTING_LIMIT),
        present: many.slice(PER_FOLDER_LISTING_LIMIT).map(present),
      },
    },
    {
      name: "more missing folders than the limit: the whole area",
      folders: { ok: true, modules: many },
      local: states(many.map((m, i) => [m, i <= PER_FOLDER_LISTING_LIMIT ? null : "success"])),
      want: { kind: "area" },
    },
    {
      name: "nothing present (a cold fetch): the whole area, even for one folder",
      folders: { ok: true, modules: ["MODULE_1+a"] },
      local: states([["MODULE_1+a", null]]),
      want: { kind: "area" },
    },
    {
      name: "a folder listing the file listing must explain: the whole area",
      folders: { ok: false, detail: "x is not an entry folder" },
      local: allSuccess,
      want: { kind: "area" },
    },
  ];
  for (const { name, folders, local, want } of cases) {
    it(name, () => {
      expect(planFetchListing(folders, local)).toEqual(want);
    });
  }
});

describe("planFetch", () => {
  const files = (names: string[]): ReadonlyMap<string, StoreObject> =>
    new Map(names.map((name) => [name, { key: `${MODEL}/M/${name}`, size: 1 }]));
  const entry = (module: string, state: EntryState): RemoteEntry => ({
    module,
    files: files(state === "success" ? ["model.neff", "model.done"] : ["model.neff"]),
    state,
  });
  it("downloads what is missing or broken, skips what is present, locked or incomplete remotely", () => {
    const remote = [
      entry("MODULE_1+a", "success"),
      entry("MODULE_2+b", "success"),
      entry("MODULE_3+c", "success"),
      entry("MODULE_4+d", "empty"),
      entry("MODULE_5+e", "success"),
    ];
    const local = new Map<string, EntryState | null>([
      ["MODULE_1+a", "success"],
      ["MODULE_2+b", "locked"],
      ["MODULE_3+c", "failed"],
    ]);
    const plan = planFetch(remote, local);
    expect(plan.downloads.map((d) => [d.entry.module, d.localState])).toEqual([
      ["MODULE_3+c", "failed"],
      ["MODULE_5+e", null],
    ]);
    expect(plan.skipped.map((s) => [s.module, s.reason])).toEqual([
      ["MODULE_1+a", "present"],
      ["MODULE_2+b", "compiling-locally"],
      ["MODULE_4+d", "remote-incomplete"],
    ]);
  });
});
