import { describe, expect, it } from "vitest";
import type { CompiledEntry, MissReason, MissTarget, StoreEntryFacts, StoreFacts } from "./explain-miss.ts";
import { explainMisses } from "./explain-miss.ts";

const CV = "2.21.33363.0+82129205";
const OLD = "2.20.0";
const TARGET: MissTarget = { compilerVersion: CV, modelId: "org/m", task: "text-generation" };

const entry = (module: string, extra: Partial<StoreEntryFacts> = {}): StoreEntryFacts => ({
  compilerVersion: CV,
  task: "text-generation",
  module,
  state: "success",
  compileFlags: null,
  graphSha256: null,
  exportConfigHash: null,
  problem: null,
  ...extra,
});
const miss = (module: string, extra: Partial<CompiledEntry> = {}): CompiledEntry => ({
  module,
  compileFlags: ["-O1"],
  graphSha256: null,
  fetchProblem: null,
  ...extra,
});
const reasonsOf = (compiled: CompiledEntry, facts: StoreFacts, target: MissTarget = TARGET): MissReason[] =>
  explainMisses([compiled], facts, target)[0]?.reasons ?? [];
const kinds = (reasons: MissReason[]): string[] => reasons.map((reason) => reason.kind);

describe("explainMisses", () => {
  const cases: Array<{ what: string; compiled: CompiledEntry; facts: StoreFacts; kinds: string[] }> = [
    {
      what: "a fetch that could not verify the store's copy",
      compiled: miss("MODULE_aaa+111", { fetchProblem: "verification failed: sha256 mismatch" }),
      facts: { entries: [entry("MODULE_aaa+111")], records: [] },
      kinds: ["store-entry-unusable"],
    },
    {
      what: "a failed copy in the store",
      compiled: miss("MODULE_aaa+111"),
      facts: { entries: [entry("MODULE_aaa+111", { state: "failed" })], records: [] },
      kinds: ["store-entry-unusable"],
    },
    {
      what: "a copy whose manifest is bad",
      compiled: miss("MODULE_aaa+111"),
      facts: { entries: [entry("MODULE_aaa+111", { problem: "its manifest is unreadable" })], records: [] },
      kinds: ["store-entry-unusable"],
    },
    {
      what: "a copy published after the fetch",
      compiled: miss("MODULE_aaa+111"),
      facts: { entries: [entry("MODULE_aaa+111")], records: [] },
      kinds: ["cached-since"],
    },
    {
      what: "the same graph with other flags",
      compiled: miss("MODULE_aaa+111"),
      facts: {
        entries: [entry("MODULE_aaa+222", { compileFlags: ["-O2"] }), entry("MODULE_bbb+111")],
        records: [],
      },
      kinds: ["other-flags"],
    },
    {
      what: "the same entry for another compiler version only",
      compiled: miss("MODULE_aaa+111"),
      facts: { entries: [entry("MODULE_aaa+111", { compilerVersion: OLD })], records: [] },
      kinds: ["other-compiler-version", "nothing-cached"],
    },
    {
      what: "other graphs of the model and task",
      compiled: miss("MODULE_aaa+111"),
      facts: { entries: [entry("MODULE_bbb+111"), entry("MODULE_ccc+111")], records: [] },
      kinds: ["other-graph"],
    },
    {
      what: "an empty store",
      compiled: miss("MODULE_aaa+111"),
      facts: { entries: [], records: [] },
      kinds: ["nothing-cached"],
    },
  ];
  it.each(cases)("names $what", ({ compiled, facts, kinds: expected }) => {
    expect(kinds(reasonsOf(compiled, facts))).toEqual(expected);
  });

  it("shows which flags differ, picking the cached entry with the fewest differences", () => {
    const [reason] = reasonsOf(miss("MODULE_aaa+111", { compileFlags: ["-O1", "--target=trn1"] }), {
      entries: [
        entry("MODULE_aaa+222", { compileFlags: ["-O2", "--target=trn2", "--verbose"] }),
        entry("MODULE_aaa+333", { compileFlags: ["-O2", "--target=trn1"] }),
      ],
      records: [],
    });
    expect(reason).toEqual({
      kind: "other-flags",
      cachedModule: "MODULE_aaa+333",
      added: ["-O1"],
      removed: ["-O2"],
      cachedFlags: ["-O2", "--target=trn1"],
      compileFlags: ["-O1", "--target=trn1"],
    });
  });

  it("finds the same graph by its HLO bytes when the producer mixes flags into the graph hash", () => {
    const reasons = reasonsOf(miss("MODULE_aaa+111", { graphSha256: "f".repeat(64) }), {
      entries: [entry("MODULE_zzz+999", { graphSha256: "f".repeat(64), compileFlags: [] })],
      records: [],
    });
    expect(reasons[0]).toMatchObject({ kind: "other-flags", cachedModule: "MODULE_zzz+999", added: ["-O1"] });
  });

  it("ignores failed entries of the same graph and entries of other tasks", () => {
    const reasons = reasonsOf(miss("MODULE_aaa+111"), {
      entries: [
        entry("MODULE_aaa+222", { state: "failed" }),
        entry("MODULE_aaa+111", { task: "feature-extraction" }),
      ],
      records: [],
    });
    expect(kinds(reasons)).toEqual(["other-graph"]);
  });

  it("says what is cached when nothing is for this model, task and compiler", () => {
    const [reason] = reasonsOf(miss("MODULE_aaa+111"), {
      entries: [
        entry("MODULE_bbb+1", { task: "feature-extraction" }),
        entry("MODULE_ccc+1", { compilerVersion: OLD }),
      ],
      records: [
        {
          compilerVersion: "2.19.0",
          task: "text-generation",
          optimumNeuronVersion: "0.4.0",
          hash: "00000000",
          key: "k",
          config: {},
        },
      ],
    });
    expect(reason).toEqual({
      kind: "nothing-cached",
      otherTasks: ["feature-extraction"],
      otherCompilerVersions: ["2.19.0", OLD],
    });
  });

  it("names the nearest cached export configurations and the export configs of the cached entries", () => {
    const record = (hash: string, config: Record<string, number | string>, compilerVersion = CV) => ({
      compilerVersion,
      task: "text-generation",
      optimumNeuronVersion: "0.4.6",
      hash,
      key: `records/${hash}`,
      config,
    });
    const [reason] = reasonsOf(
      miss("MODULE_aaa+111"),
      {
        entries: [entry("MODULE_bbb+111", { exportConfigHash: "0000000a" })],
        records: [
          record("0000000a", { batch_size: 1, sequence_length: 4096, torch_dtype: "bf16" }),
          record("0000000b", { batch_size: 8, sequence_length: 2048, torch_dtype: "fp16" }),
          record("0000000c", { batch_size: 4, sequence_length: 4096, dtype: "bfloat16" }, OLD),
        ],
      },
      {
        ...TARGET,
        exportConfig: { batch_size: 4, sequence_length: 4096, torch_dtype: "bfloat16" },
        exportConfigHash: "0000000d",
      },
    );
    expect(reason).toMatchObject({ kind: "other-graph", entries: 1, cachedConfigHashes: ["0000000a"] });
    const nearest = reason?.kind === "other-graph" ? reason.nearest : [];
    expect(nearest.map((config) => config.key)).toEqual([
      "records/0000000c",
      "records/0000000a",
      "records/0000000b",
    ]);
    expect(nearest[0]?.differences).toEqual([]);
    expect(nearest[1]?.differences).toEqual([{ field: "batch_size", requested: "4", cached: "1" }]);
  });
});
