import { describe, expect, it } from "vitest";
import {
  compareVersions,
  filterExportRecords,
  matchesLookupFilter,
  normalizeDtype,
  targetFamily,
} from "./lookup-filter.ts";
import type { ExportRecordEntry, LookupFilter } from "./lookup-filter.ts";
import { pyFloat } from "./py-json.ts";
import type { PyJsonObject } from "./py-json.ts";

const BASE: PyJsonObject = {
  batch_size: 1,
  sequence_length: 4096,
  tp_degree: 8,
  torch_dtype: "bfloat16",
  target: "trn1",
};

describe("matchesLookupFilter", () => {
  const cases: ReadonlyArray<{ what: string; config: PyJsonObject; filter: LookupFilter; match: boolean }> = [
    { what: "an empty filter", config: BASE, filter: {}, match: true },
    { what: "the batch size", config: BASE, filter: { batchSize: 1 }, match: true },
    { what: "another batch size", config: BASE, filter: { batchSize: 4 }, match: false },
    { what: "the sequence length", config: BASE, filter: { sequenceLength: 4096 }, match: true },
    { what: "another sequence length", config: BASE, filter: { sequenceLength: 2048 }, match: false },
    { what: "tp_degree", config: BASE, filter: { tpDegree: 8 }, match: true },
    {
      what: "tensor_parallel_size",
      config: { tensor_parallel_size: 8, batch_size: 1 },
      filter: { tpDegree: 8 },
      match: true,
    },
    { what: "a missing tp degree", config: { batch_size: 1 }, filter: { tpDegree: 8 }, match: false },
    { what: "a float batch size", config: { batch_size: pyFloat(1) }, filter: { batchSize: 1 }, match: true },
    {
      what: "a numeric-string batch size",
      config: { batch_size: "1" },
      filter: { batchSize: 1 },
      match: true,
    },
    { what: "bf16 against bfloat16", config: BASE, filter: { dtype: "bf16" }, match: true },
    {
      what: "torch.bfloat16",
      config: { torch_dtype: "torch.bfloat16" },
      filter: { dtype: "bfloat16" },
      match: true,
    },
    { what: "dtype alias key", config: { dtype: "float16" }, filter: { dtype: "fp16" }, match: true },
    { what: "another dtype", config: BASE, filter: { dtype: "fp16" }, match: false },
    { what: "the same target", config: BASE, filter: { target: "trn1" }, match: true },
    { what: "inf2 against trn1", config: BASE, filter: { target: "inf2" }, match: true },
    { what: "an instance type", config: BASE, filter: { target: "trn1n.32xlarge" }, match: true },
    { what: "trn2 against trn1", config: BASE, filter: { target: "trn2" }, match: false },
    {
      what: "instance_type key",
      config: { instance_type: "trn2" },
      filter: { target: "trn2.48xlarge" },
      match: true,
    },
    { what: "a missing target", config: { batch_size: 1 }, filter: { target: "trn1" }, match: false },
    {
      what: "every filter at once",
      config: BASE,
      filter: { batchSize: 1, sequenceLength: 4096, tpDegree: 8, dtype: "bf16", target: "inf2" },
      match: true,
    },
  ];
  it.each(cases)("$what → $match", ({ config, filter, match }) => {
    expect(matchesLookupFilter(config, filter)).toBe(match);
  });
});

describe("normalizeDtype and targetFamily", () => {
  it.each([
    ["bf16", "bfloat16"],
    ["BFloat16", "bfloat16"],
    ["torch.float16", "float16"],
    ["half", "float16"],
    ["fp32", "float32"],
    ["f8e4m3", "f8e4m3"],
  ])("normalizes dtype %s to %s", (input, output) => expect(normalizeDtype(input)).toBe(output));

  it.each([
    ["inf2", "trn1"],
    ["inf2.48xlarge", "trn1"],
    ["trn1n", "trn1"],
    ["TRN1", "trn1"],
    ["trn2", "trn2"],
    ["trn2u.48xlarge", "trn2"],
    ["inf1", "inf1"],
  ])("puts target %s in family %s", (input, output) => expect(targetFamily(input)).toBe(output));
});

describe("compareVersions", () => {
  const ascending = [
    "0.3.0",
    "0.4.6.dev4",
    "0.4.6a1",
    "0.4.6rc1",
    "0.4.6",
    "0.4.6+local",
    "0.4.6.post1",
    "0.4.10",
    "1.0",
  ];
  it("orders PEP 440 versions", () => {
    const shuffled = [...ascending].reverse();
    expect(shuffled.sort(compareVersions)).toEqual(ascending);
  });

  it("treats missing release parts as zero", () => {
    expect(compareVersions("1.0", "1.0.0")).toBe(0);
  });
});

describe("filterExportRecords", () => {
  const record = (key: string, optimumNeuronVersion: string, config: PyJsonObject): ExportRecordEntry => ({
    key,
    optimumNeuronVersion,
    config,
  });

  it("keeps matching records, newest version first, then batch, sequence and tp ascending", () => {
    const records = [
      record("a", "0.4.5", { ...BASE, batch_size: 1 }),
      record("b", "0.4.6", { ...BASE, batch_size: 4 }),
      record("c", "0.4.6", { ...BASE, batch_size: 1, sequence_length: 8192 }),
      record("d", "0.4.6", { ...BASE, batch_size: 1, tp_degree: 2 }),
      record("e", "0.4.6", { ...BASE, torch_dtype: "float16" }),
      record("f", "0.4.6", { torch_dtype: "bf16" }),
    ];
    const kept = filterExportRecords(records, { dtype: "bf16" }).map((r) => r.key);
    expect(kept).toEqual(["d", "c", "b", "f", "a"]);
  });
});
