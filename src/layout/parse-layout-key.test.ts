import { describe, expect, it } from "vitest";
import { createLayoutKeyParser, parseLayoutKey } from "./parse-layout-key.ts";
import type { LayoutKey, LayoutKeyRejectReason } from "./parse-layout-key.ts";

const CV = "2.21.33363.0+82129205";
const M = "MODULE_9214541117211669183+d41d8cd9";

describe("parseLayoutKey", () => {
  const accepted: ReadonlyArray<{ what: string; key: string; parsed: LayoutKey }> = [
    {
      what: "a flat entry file",
      key: `neuronxcc-${CV}/${M}/model.neff`,
      parsed: { area: "flat", compilerVersion: CV, module: M, file: "model.neff", role: "neff" },
    },
    {
      what: "a legacy MODULE name without flags hash",
      key: `neuronxcc-${CV}/MODULE_0123456789abcdef0123/config.json`,
      parsed: {
        area: "flat",
        compilerVersion: CV,
        module: "MODULE_0123456789abcdef0123",
        file: "config.json",
        role: "extra",
      },
    },
    {
      what: "the entry manifest",
      key: `neuronxcc-${CV}/${M}/neff-cache.manifest.json`,
      parsed: {
        area: "flat",
        compilerVersion: CV,
        module: M,
        file: "neff-cache.manifest.json",
        role: "manifest",
      },
    },
    {
      what: "a per-model file of an org/name model",
      key: `neuronxcc-${CV}/meta-llama/Llama-3.1-8B/text-generation/${M}/model.hlo_module.pb`,
      parsed: {
        area: "model",
        compilerVersion: CV,
        modelId: "meta-llama/Llama-3.1-8B",
        task: "text-generation",
        module: M,
        file: "model.hlo_module.pb",
        role: "hlo",
      },
    },
    {
      what: "a per-model file of a name-only model",
      key: `neuronxcc-${CV}/local/default/${M}/compile_flags.json`,
      parsed: {
        area: "model",
        compilerVersion: CV,
        modelId: "local",
        task: "default",
        module: M,
        file: "compile_flags.json",
        role: "flags",
      },
    },
    {
      what: "an export record of an org/name model",
      key: "neuronxcc-0.0.0+test1a2b3c4d/test-org/test-model/feature-extraction/exports/0.4.6.dev4/5f480bf6.json",
      parsed: {
        area: "record",
        compilerVersion: "0.0.0+test1a2b3c4d",
        modelId: "test-org/test-model",
        task: "feature-extraction",
        optimumNeuronVersion: "0.4.6.dev4",
        hash: "5f480bf6",
      },
    },
    {
      what: "an export record of a name-only model",
      key: `neuronxcc-${CV}/gpt2/default/exports/0.4.6/db8be9fb.json`,
      parsed: {
        area: "record",
        compilerVersion: CV,
        modelId: "gpt2",
        task: "default",
        optimumNeuronVersion: "0.4.6",
        hash: "db8be9fb",
      },
    },
  ];
  it.each(accepted)("reads $what", ({ key, parsed }) => {
    expect(parseLayoutKey(key)).toEqual({ ok: true, key: parsed });
  });

  const rejected: ReadonlyArray<{ what: string; key: string; reason: LayoutKeyRejectReason }> = [
    { what: "a key outside any compiler dir", key: "README.md", reason: "not-ours" },
    {
      what: "a registry of the legacy cache",
      key: "inference-cache-config/trn1/llama.json",
      reason: "not-ours",
    },
    { what: "an absolute key", key: `/neuronxcc-${CV}/${M}/model.neff`, reason: "unsafe-key" },
    { what: "a parent segment", key: `neuronxcc-${CV}/${M}/../../etc/passwd`, reason: "unsafe-key" },
    {
      what: "an absolute model path written by the Python tool",
      key: `neuronxcc-${CV}//home/u/m/default/${M}/model.neff`,
      reason: "unsafe-key",
    },
    { what: "a backslash", key: `neuronxcc-${CV}/${M}/..\\x`, reason: "unsafe-key" },
    { what: "a control character", key: `neuronxcc-${CV}/${M}/model\u0000.neff`, reason: "unsafe-key" },
    { what: "an empty compiler version", key: `neuronxcc-/${M}/model.neff`, reason: "bad-compiler-version" },
    {
      what: "a hostile compiler version",
      key: `neuronxcc-a..b/${M}/model.neff`,
      reason: "bad-compiler-version",
    },
    { what: "the compiler dir alone", key: `neuronxcc-${CV}`, reason: "unknown-shape" },
    { what: "a file in the compiler dir", key: `neuronxcc-${CV}/notes.txt`, reason: "unknown-shape" },
    {
      what: "the legacy registry",
      key: `neuronxcc-${CV}/0_REGISTRY/0.0.1/llama/x.json`,
      reason: "unknown-shape",
    },
    {
      what: "a nested file in a flat entry",
      key: `neuronxcc-${CV}/${M}/sub/model.neff`,
      reason: "nested-file",
    },
    {
      what: "a nested file in a model entry",
      key: `neuronxcc-${CV}/org/m/default/${M}/a/b`,
      reason: "nested-file",
    },
    { what: "a lock file", key: `neuronxcc-${CV}/${M}/model.hlo_module.pb.lock`, reason: "excluded-file" },
    { what: "model.log", key: `neuronxcc-${CV}/${M}/model.log`, reason: "excluded-file" },
    {
      what: "a partial download",
      key: `neuronxcc-${CV}/${M}/model.neff.incomplete`,
      reason: "excluded-file",
    },
    { what: "a hidden file", key: `neuronxcc-${CV}/${M}/.model.neff`, reason: "excluded-file" },
    { what: "a file name with spaces", key: `neuronxcc-${CV}/${M}/my file`, reason: "excluded-file" },
    { what: "a malformed MODULE name", key: `neuronxcc-${CV}/MODULE_/model.neff`, reason: "bad-module" },
    {
      what: "a MODULE name with odd characters",
      key: `neuronxcc-${CV}/MODULE_a$b/model.neff`,
      reason: "bad-module",
    },
    {
      what: "a model entry without a task",
      key: `neuronxcc-${CV}/gpt2/${M}/model.neff`,
      reason: "unknown-shape",
    },
    {
      what: "a three-segment model id",
      key: `neuronxcc-${CV}/a/b/c/t/${M}/model.neff`,
      reason: "unknown-shape",
    },
    { what: "a bad model id", key: `neuronxcc-${CV}/-bad/t/${M}/model.neff`, reason: "bad-model-id" },
    {
      what: "a model name holding '..'",
      key: `neuronxcc-${CV}/org/a..b/t/${M}/model.neff`,
      reason: "bad-model-id",
    },
    { what: "a bad task", key: `neuronxcc-${CV}/org/m/-t/${M}/model.neff`, reason: "bad-task" },
    {
      what: "a record with a bad name",
      key: `neuronxcc-${CV}/gpt2/default/exports/0.4.6/record.json`,
      reason: "bad-record-name",
    },
    {
      what: "a record with an uppercase hash",
      key: `neuronxcc-${CV}/gpt2/default/exports/0.4.6/DB8BE9FB.json`,
      reason: "bad-record-name",
    },
    {
      what: "a record without a version",
      key: `neuronxcc-${CV}/gpt2/default/exports/db8be9fb.json`,
      reason: "unknown-shape",
    },
    {
      what: "a nested record",
      key: `neuronxcc-${CV}/gpt2/default/exports/0.4.6/x/db8be9fb.json`,
      reason: "unknown-shape",
    },
    {
      what: "a record under a bad version",
      key: `neuronxcc-${CV}/gpt2/default/exports/-1/db8be9fb.json`,
      reason: "bad-optimum-neuron-version",
    },
  ];
  it.each(rejected)("refuses $what as $reason", ({ key, reason }) => {
    const result = parseLayoutKey(key);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.detail.length).toBeGreaterThan(0);
    }
  });

  it("answers as parseLayoutKey when one listing's parser remembers its verdicts", () => {
    // One parser over the whole table, twice: the second pass answers from what the first
    // remembered, and an invalid part is refused every time it comes back.
    const keys = [...accepted.map(({ key }) => key), ...rejected.map(({ key }) => key)];
    const parse = createLayoutKeyParser();
    for (const key of [...keys, ...keys]) expect(parse(key)).toEqual(parseLayoutKey(key));
  });

  it("refuses a bad model id in a listing that also holds good keys of the same entry", () => {
    const parse = createLayoutKeyParser();
    const good = `neuronxcc-${CV}/org/m/t/${M}/model.neff`;
    const bad = `neuronxcc-${CV}/org/m./t/${M}/model.neff`;
    for (let i = 0; i < 3; i += 1) {
      expect(parse(good).ok).toBe(true);
      expect(parse(bad)).toMatchObject({ ok: false, reason: "bad-model-id" });
    }
  });
});
