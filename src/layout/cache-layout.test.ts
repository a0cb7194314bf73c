import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import {
  compilerVersionDir,
  exportRecordKey,
  exportRecordsPrefix,
  flatEntryKey,
  modelEntryKey,
  modelPrefix,
  modelTaskPrefix,
} from "./cache-layout.ts";
import { parseLayoutKey } from "./parse-layout-key.ts";

const CV = "2.28.4405.0+abc123";

describe("cache layout builders", () => {
  // The same strings optimum-neuron's bucket_utils produces.
  it("builds the flat prefix and entry keys", () => {
    expect(compilerVersionDir(CV)).toBe("neuronxcc-2.28.4405.0+abc123");
    expect(flatEntryKey({ compilerVersion: CV, module: "MODULE_AAA+BBB" })).toBe(
      "neuronxcc-2.28.4405.0+abc123/MODULE_AAA+BBB",
    );
    expect(flatEntryKey({ compilerVersion: CV, module: "MODULE_AAA+BBB", file: "model.neff" })).toBe(
      "neuronxcc-2.28.4405.0+abc123/MODULE_AAA+BBB/model.neff",
    );
  });

  it("keeps the model id's slash and adds the task level", () => {
    expect(modelPrefix(CV, "meta-llama/Llama-3.1-8B")).toBe(
      "neuronxcc-2.28.4405.0+abc123/meta-llama/Llama-3.1-8B",
    );
    expect(modelPrefix(CV, "local-model")).toBe("neuronxcc-2.28.4405.0+abc123/local-model");
    expect(modelTaskPrefix({ compilerVersion: CV, modelId: "local-model" })).toBe(
      "neuronxcc-2.28.4405.0+abc123/local-model/default",
    );
    expect(
      modelEntryKey({
        compilerVersion: CV,
        modelId: "test-org/test-model",
        task: "feature-extraction",
        module: "MODULE_TEST1+HASH1",
        file: "model.done",
      }),
    ).toBe(
      "neuronxcc-2.28.4405.0+abc123/test-org/test-model/feature-extraction/MODULE_TEST1+HASH1/model.done",
    );
  });

  it("builds export record keys", () => {
    const location = {
      compilerVersion: "0.0.0+test1a2b3c4d",
      modelId: "test-org/test-model",
      task: "feature-extraction",
      optimumNeuronVersion: "0.4.6.dev4",
    };
    expect(exportRecordKey({ ...location, hash: "5f480bf6" })).toBe(
      "neuronxcc-0.0.0+test1a2b3c4d/test-org/test-model/feature-extraction/exports/0.4.6.dev4/5f480bf6.json",
    );
    expect(exportRecordsPrefix({ ...location, optimumNeuronVersion: undefined })).toBe(
      "neuronxcc-0.0.0+test1a2b3c4d/test-org/test-model/feature-extraction/exports",
    );
  });

  const invalid: ReadonlyArray<{ what: string; build: () => string }> = [
    { what: "a compiler version with a slash", build: () => compilerVersionDir("2.1/../x") },
    { what: "an empty compiler version", build: () => compilerVersionDir("") },
    { what: "a local path as model id", build: () => modelPrefix(CV, "/home/u/model") },
    { what: "a module without MODULE_", build: () => flatEntryKey({ compilerVersion: CV, module: "x" }) },
    {
      what: "a lock file",
      build: () =>
        flatEntryKey({ compilerVersion: CV, module: "MODULE_a+b", file: "model.hlo_module.pb.lock" }),
    },
    {
      what: "model.log",
      build: () => flatEntryKey({ compilerVersion: CV, module: "MODULE_a+b", file: "model.log" }),
    },
    {
      what: "a nested file",
      build: () => flatEntryKey({ compilerVersion: CV, module: "MODULE_a+b", file: "d/f" }),
    },
    {
      what: "a bad record hash",
      build: () =>
        exportRecordKey({ compilerVersion: CV, modelId: "m", optimumNeuronVersion: "0.4.6", hash: "../x" }),
    },
  ];
  it.each(invalid)("refuses $what", ({ build }) => {
    expect(build).toThrow(UsageError);
  });

  it("builds keys that parse back to the same parts", () => {
    const module = "MODULE_98ba4c9111d5882d2331+39f12043";
    const flat = parseLayoutKey(flatEntryKey({ compilerVersion: CV, module, file: "wrapped_neff.hlo" }));
    expect(flat).toEqual({
      ok: true,
      key: { area: "flat", compilerVersion: CV, module, file: "wrapped_neff.hlo", role: "extra" },
    });
    const model = parseLayoutKey(
      modelEntryKey({ compilerVersion: CV, modelId: "gpt2", module, file: "model.neff" }),
    );
    expect(model).toEqual({
      ok: true,
      key: {
        area: "model",
        compilerVersion: CV,
        modelId: "gpt2",
        task: "default",
        module,
        file: "model.neff",
        role: "neff",
      },
    });
  });
});
