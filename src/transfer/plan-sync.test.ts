import { describe, expect, it } from "vitest";
import type { EntryManifest, ManifestFile } from "../layout/entry-manifest.ts";
import type { StoreObject } from "../store/store.ts";
import type {
  AreaListing,
  LocalEntryToPublish,
  PlanSyncInput,
  RemoteEntryState,
  SyncArea,
} from "./plan-sync.ts";
import { COPY_MIN_BYTES, filesToVerify, planSync } from "./plan-sync.ts";

const MODULE = "MODULE_1+a";
const BIG = COPY_MIN_BYTES;
const sha = (c: string): string => c.repeat(64);
const FILES: ManifestFile[] = [
  { name: "compile_flags.json", size: 10, sha256: sha("1") },
  { name: "model.done", size: 0, sha256: sha("2") },
  { name: "model.hlo_module.pb", size: 20, sha256: sha("3") },
  { name: "model.neff", size: BIG, sha256: sha("4") },
];
const LOCAL: LocalEntryToPublish = { module: MODULE, files: FILES };

function manifestOf(files: readonly ManifestFile[], module = MODULE): EntryManifest {
  return {
    formatVersion: 1,
    module,
    compilerVersion: "2.21.0.0+abc",
    files: [...files],
    producer: { tool: "neff-cache", version: "0" },
    createdAt: "2026-01-01T00:00:00.000Z",
  };
}

/** A remote entry holding `files` (name → size) and, unless null, a manifest of `manifestFiles`. */
function remote(
  files: Record<string, number>,
  manifestFiles: readonly ManifestFile[] | null,
  readSha256: Record<string, string> = {},
): RemoteEntryState {
  const listed = new Map<string, StoreObject>(
    Object.entries(files).map(([name, size]) => [name, { key: `k/${name}`, size }]),
  );
  if (manifestFiles !== null) listed.set("neff-cache.manifest.json", { key: "k/m", size: 500 });
  return {
    files: listed,
    manifest: manifestFiles === null ? null : manifestOf(manifestFiles),
    manifestProblem: null,
    readSha256: new Map(Object.entries(readSha256)),
  };
}

const sizes = Object.fromEntries(FILES.map((file) => [file.name, file.size]));
const complete = (): RemoteEntryState => remote(sizes, FILES);
const area = (name: SyncArea, state: RemoteEntryState | undefined): AreaListing => ({
  area: name,
  entries: new Map(state === undefined ? [] : [[MODULE, state]]),
});

const S3 = { batchWrite: false, serverSideCopy: true };
const HF = { batchWrite: true, serverSideCopy: true };

/** `file:write-areas>copy-areas@from` per phase, for compact expectations. */
function summary(input: PlanSyncInput): Record<string, string[]> {
  const plan = planSync(input);
  return Object.fromEntries(
    plan.phases.map(({ phase, transfers }) => [
      phase,
      transfers.map(
        (t) =>
          `${t.file}:${t.write.join("+")}${t.copy.length > 0 ? `>${t.copy.join("+")}@${t.copyFrom}` : ""}`,
      ),
    ]),
  );
}

describe("planSync", () => {
  const cases: Array<{
    name: string;
    flat: RemoteEntryState | undefined;
    model: RemoteEntryState | undefined;
    capabilities?: PlanSyncInput["capabilities"];
    expected: Record<string, string[]> | "present";
    reasons?: string[];
  }> = [
    {
      name: "an entry in neither area: everything, large files copied inside the store",
      flat: undefined,
      model: undefined,
      expected: {
        files: [
          "compile_flags.json:flat+model",
          "model.hlo_module.pb:flat+model",
          "model.neff:flat>model@flat",
        ],
        done: ["model.done:flat+model"],
        manifest: ["neff-cache.manifest.json:flat+model"],
      },
      reasons: ["flat area: not in the store", "model area: not in the store"],
    },
    {
      name: "a batch-writing store writes every area (one content, sent once)",
      flat: undefined,
      model: undefined,
      capabilities: HF,
      expected: {
        files: ["compile_flags.json:flat+model", "model.hlo_module.pb:flat+model", "model.neff:flat+model"],
        done: ["model.done:flat+model"],
        manifest: ["neff-cache.manifest.json:flat+model"],
      },
    },
    { name: "complete and matching in both areas", flat: complete(), model: complete(), expected: "present" },
    {
      name: "bytes read back outrank a valid manifest: a file changed in the store since is sent again alone",
      flat: complete(),
      model: remote(sizes, FILES, { "model.neff": sha("9"), "compile_flags.json": sha("1") }),
      expected: {
        files: ["model.neff:>model@flat"],
        done: [],
        manifest: ["neff-cache.manifest.json:model"],
      },
      reasons: ["model area: model.neff differs from the local bytes"],
    },
    {
      name: "complete in the flat area only: the model area gets its large file by copy from the flat one",
      flat: complete(),
      model: undefined,
      expected: {
        files: ["compile_flags.json:model", "model.hlo_module.pb:model", "model.neff:>model@flat"],
        done: ["model.done:model"],
        manifest: ["neff-cache.manifest.json:model"],
      },
      reasons: ["model area: not in the store"],
    },
    {
      name: "killed before the manifest phase, bytes read back and right: only the manifest",
      flat: remote(sizes, null, Object.fromEntries(FILES.map((f) => [f.name, f.sha256]))),
      model: complete(),
      expected: { files: [], done: [], manifest: ["neff-cache.manifest.json:flat"] },
      reasons: ["flat area: the manifest is missing"],
    },
    {
      name: "killed before the done phase: the done marker, then the manifest",
      flat: remote({ "compile_flags.json": 10, "model.hlo_module.pb": 20, "model.neff": BIG }, null, {
        "compile_flags.json": sha("1"),
        "model.hlo_module.pb": sha("3"),
        "model.neff": sha("4"),
      }),
      model: complete(),
      expected: { files: [], done: ["model.done:flat"], manifest: ["neff-cache.manifest.json:flat"] },
      reasons: ["flat area: model.done is missing"],
    },
    {
      name: "a file of the wrong size is sent again, the rest stays",
      flat: remote({ ...sizes, "model.hlo_module.pb": 7 }, FILES),
      model: complete(),
      expected: {
        files: ["model.hlo_module.pb:flat"],
        done: [],
        manifest: ["neff-cache.manifest.json:flat"],
      },
      reasons: ["flat area: model.hlo_module.pb has 7 bytes, not 20"],
    },
    {
      name: "a manifest that does not match the local bytes: the differing file and the manifest",
      flat: remote(
        sizes,
        FILES.map((f) => (f.name === "compile_flags.json" ? { ...f, sha256: sha("9") } : f)),
      ),
      model: complete(),
      expected: { files: ["compile_flags.json:flat"], done: [], manifest: ["neff-cache.manifest.json:flat"] },
      reasons: ["flat area: compile_flags.json differs from the local bytes"],
    },
    {
      name: "a large file wrong in both areas is written once and copied",
      flat: remote({ ...sizes, "model.neff": 1 }, FILES),
      model: remote({ ...sizes, "model.neff": 1 }, FILES),
      expected: {
        files: ["model.neff:flat>model@flat"],
        done: [],
        manifest: ["neff-cache.manifest.json:flat+model"],
      },
    },
    {
      name: "without a manifest, a right-sized file that was not read back is not trusted",
      flat: remote(sizes, null),
      model: complete(),
      expected: {
        files: ["compile_flags.json:flat", "model.hlo_module.pb:flat", "model.neff:>flat@model"],
        done: ["model.done:flat"],
        manifest: ["neff-cache.manifest.json:flat"],
      },
    },
    {
      name: "a manifest listing another set of files is rewritten",
      flat: remote(sizes, [...FILES, { name: "extra.bin", size: 1, sha256: sha("5") }]),
      model: complete(),
      expected: { files: [], done: [], manifest: ["neff-cache.manifest.json:flat"] },
      reasons: ["flat area: the manifest does not list the local files"],
    },
    {
      name: "a store without copies writes the large file to each area",
      flat: undefined,
      model: complete(),
      capabilities: { batchWrite: false, serverSideCopy: false },
      expected: {
        files: ["compile_flags.json:flat", "model.hlo_module.pb:flat", "model.neff:flat"],
        done: ["model.done:flat"],
        manifest: ["neff-cache.manifest.json:flat"],
      },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const input: PlanSyncInput = {
        local: [LOCAL],
        areas: [area("flat", c.flat), area("model", c.model)],
        capabilities: c.capabilities ?? S3,
      };
      const plan = planSync(input);
      if (c.expected === "present") {
        expect(plan.entries).toEqual([]);
        expect(plan.skipped).toEqual([expect.objectContaining({ module: MODULE, reason: "present" })]);
        expect(plan.bytes).toBe(0);
        return;
      }
      expect(summary(input)).toEqual(c.expected);
      expect(plan.skipped).toEqual([]);
      if (c.reasons) expect(plan.entries[0]?.reasons).toEqual(c.reasons);
    });
  }

  it("counts the bytes each transfer sends", () => {
    const both = (capabilities: PlanSyncInput["capabilities"]): number =>
      planSync({ local: [LOCAL], areas: [area("flat", undefined), area("model", undefined)], capabilities })
        .bytes;
    // Small files twice, the large one once (copied); a batch store sends every content once.
    expect(both(S3)).toBe(2 * (10 + 0 + 20) + BIG);
    expect(both(HF)).toBe(10 + 0 + 20 + BIG);
    expect(both({ batchWrite: false, serverSideCopy: false })).toBe(2 * (10 + 0 + 20 + BIG));
    const repairOnly = planSync({
      local: [LOCAL],
      areas: [area("flat", remote({ ...sizes, "model.hlo_module.pb": 7 }, FILES)), area("model", complete())],
      capabilities: S3,
    });
    expect(repairOnly.bytes).toBe(20);
    expect(repairOnly.entries[0]?.areas).toEqual(["flat"]);
  });

  it("keeps the entries apart", () => {
    const other: LocalEntryToPublish = { module: "MODULE_2+b", files: FILES };
    const plan = planSync({
      local: [LOCAL, other],
      areas: [{ area: "flat", entries: new Map([[MODULE, complete()]]) }],
      capabilities: S3,
    });
    expect(plan.skipped.map((skip) => skip.module)).toEqual([MODULE]);
    expect(plan.entries.map((entry) => entry.module)).toEqual(["MODULE_2+b"]);
    expect(new Set(plan.phases.flatMap((phase) => phase.transfers.map((t) => t.module)))).toEqual(
      new Set(["MODULE_2+b"]),
    );
  });
});

describe("filesToVerify", () => {
  it("asks for the bytes of right-sized files no manifest vouches for", () => {
    expect(filesToVerify(LOCAL, remote(sizes, null))).toEqual(FILES.map((file) => file.name));
    expect(filesToVerify(LOCAL, remote({ ...sizes, "model.neff": 3 }, null))).toEqual([
      "compile_flags.json",
      "model.done",
      "model.hlo_module.pb",
    ]);
    expect(filesToVerify(LOCAL, complete())).toEqual([]);
    expect(filesToVerify(LOCAL, remote(sizes, FILES.slice(1)))).toEqual(["compile_flags.json"]);
  });
  it("asks for the named files too, whatever the manifest says", () => {
    expect(filesToVerify(LOCAL, complete(), new Set(["model.neff", "other"]))).toEqual(["model.neff"]);
  });
  it("asks for every right-sized file when told to verify bytes, whatever the manifest says", () => {
    expect(filesToVerify(LOCAL, complete(), true)).toEqual(FILES.map((file) => file.name));
    expect(filesToVerify(LOCAL, remote({ ...sizes, "model.neff": 3 }, FILES), true)).toEqual([
      "compile_flags.json",
      "model.done",
      "model.hlo_module.pb",
    ]);
  });
});
