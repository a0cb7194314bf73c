import { describe, expect, it } from "vitest";
import { configDifferences, rankNearestConfigs } from "./nearest-config.ts";
import { pyFloat } from "./py-json.ts";

describe("configDifferences", () => {
  it("reads aliases and normalised values as lookup does", () => {
    expect(
      configDifferences(
        { tp_degree: 8, torch_dtype: "bf16", instance_type: "inf2", batch_size: 1 },
        { tensor_parallel_size: 8, dtype: "bfloat16", target: "trn1.32xlarge", batch_size: 1 },
      ),
    ).toEqual([]);
  });

  it("names each differing field, spelt as the request spells it, a missing side as null", () => {
    expect(
      configDifferences(
        { batch_size: 4, tensor_parallel_size: 8, target: "trn2", checkpoint_revision: "main" },
        { batch_size: 1, tp_degree: 2, target: "inf2", auto_cast: "matmul", scale: pyFloat(1) },
      ),
    ).toEqual([
      { field: "batch_size", requested: "4", cached: "1" },
      { field: "tensor_parallel_size", requested: "8", cached: "2" },
      { field: "target", requested: "trn2", cached: "inf2" },
      { field: "auto_cast", requested: null, cached: "matmul" },
      { field: "checkpoint_revision", requested: "main", cached: null },
      { field: "scale", requested: null, cached: "1.0" },
    ]);
  });
});

describe("rankNearestConfigs", () => {
  it("puts the fewest differences first and keeps the given order on ties", () => {
    const ranked = rankNearestConfigs({ batch_size: 4, sequence_length: 4096 }, [
      { key: "a", config: { batch_size: 1, sequence_length: 2048 } },
      { key: "b", config: { batch_size: 1, sequence_length: 4096 } },
      { key: "c", config: { batch_size: 4, sequence_length: 1024 } },
      { key: "d", config: { batch_size: 4, sequence_length: 4096 } },
    ]);
    expect(ranked.map((record) => [record.key, record.differences.length])).toEqual([
      ["d", 0],
      ["b", 1],
      ["c", 1],
      ["a", 2],
    ]);
  });
});
