/**
 * Byte compatibility with optimum-neuron's bucket cache, both ways, on a directory store (whose
 * keys are paths, so a Python script can lay a store out exactly as optimum-neuron's
 * `sync_cache` does, and read ours back as its `fetch_cache` and `lookup_cache` do).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { pyFloat } from "../../src/layout/py-json.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { lookup } from "../../src/ops/lookup.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

const CV = "0.0.0+test1a2b3c4d";
const MODEL = "test-org/test-model";
const TASK = "feature-extraction";

// What optimum-neuron's sync_cache uploads for each new module: every top-level file, to the
// flat area and the model's area, with no filtering (so failed entries and lock files travel),
// then the export record in a second call.
const PYTHON_WRITER = String.raw`
import hashlib, json, os, sys
root, cv, model, task = sys.argv[1:5]
def put(key, data):
    path = os.path.join(root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
modules = {
    "MODULE_aaaa1111bbbb2222cccc+39f12043": {"model.hlo_module.pb": b"hlo-a", "compile_flags.json": b'["--flag"]', "model.neff": b"N" * 5000, "model.done": b""},
    "MODULE_dddd3333eeee4444ffff+39f12043": {"model.hlo_module.pb": b"hlo-b", "compile_flags.json": b'["--flag"]', "model.neff": b"M" * 7000, "model.done": b"", "wrapped_neff.hlo": b"W" * 300},
    "MODULE_9999000011112222aaaa+39f12043": {"model.hlo_module.pb": b"hlo-c", "compile_flags.json": b'["--flag"]', "model.log": b"compiler error"},
    "MODULE_5555666677778888bbbb+39f12043": {"model.hlo_module.pb": b"hlo-d", "model.hlo_module.pb.lock": b""},
}
for module, files in sorted(modules.items()):
    for name, data in files.items():
        put(f"neuronxcc-{cv}/{module}/{name}", data)
        put(f"neuronxcc-{cv}/{model}/{task}/{module}/{name}", data)
cfg = {"batch_size": 1, "sequence_length": 4096, "tp_degree": 8, "torch_dtype": "bfloat16", "on_device_sampling": True, "scale": 1.0, "name": "caf\u00e9"}
digest = hashlib.sha256(json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:8]
put(f"neuronxcc-{cv}/{model}/{task}/exports/0.4.6.dev4/{digest}.json", json.dumps(cfg, sort_keys=True, indent=2).encode())
print(digest)
`;

// optimum-neuron's fetch_cache and lookup_cache, over the same layout.
const PYTHON_READER = String.raw`
import hashlib, json, os, sys
root, cv, model, task, out = sys.argv[1:6]
prefix = os.path.join(root, f"neuronxcc-{cv}/{model}/{task}")
fetched = {}
for name in sorted(os.listdir(prefix)):
    if os.path.isdir(os.path.join(prefix, name)) and name.startswith("MODULE_"):
        files = {}
        for file in sorted(os.listdir(os.path.join(prefix, name))):
            with open(os.path.join(prefix, name, file), "rb") as f:
                files[file] = hashlib.sha256(f.read()).hexdigest()
        fetched[name] = files
records = []
exports = os.path.join(prefix, "exports")
for version in sorted(os.listdir(exports)):
    for file in sorted(os.listdir(os.path.join(exports, version))):
        with open(os.path.join(exports, version, file)) as f:
            cfg = json.load(f)
        digest = hashlib.sha256(json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:8]
        records.append({"file": file, "rehash": digest + ".json", "version": version, "cfg": cfg})
flat = sorted(n for n in os.listdir(os.path.join(root, f"neuronxcc-{cv}")) if n.startswith("MODULE_"))
print(json.dumps({"fetched": fetched, "records": records, "flat": flat}))
`;

describe("interop with optimum-neuron's bucket layout", () => {
  let root: string;
  let cacheDir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "neff-interop-store-"));
    cacheDir = await mkdtemp(path.join(tmpdir(), "neff-interop-cache-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("fetches the successes of a store Python wrote, and never its failed or locked entries", async () => {
    const digest = execFileSync("python3", ["-c", PYTHON_WRITER, root, CV, MODEL, TASK], {
      encoding: "utf8",
    }).trim();
    const store = createDirStore({ root });
    const result = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
    expect(result.fetched.map((entry) => entry.module)).toEqual([
      "MODULE_aaaa1111bbbb2222cccc+39f12043",
      "MODULE_dddd3333eeee4444ffff+39f12043",
    ]);
    expect(result.skipped.map((skip) => [skip.module, skip.reason])).toEqual([
      ["MODULE_5555666677778888bbbb+39f12043", "remote-incomplete"],
      ["MODULE_9999000011112222aaaa+39f12043", "remote-incomplete"],
    ]);
    const versionDir = path.join(cacheDir, compilerVersionDir(CV));
    expect((await readdir(versionDir)).filter((name) => name.startsWith("MODULE_")).sort()).toEqual([
      "MODULE_aaaa1111bbbb2222cccc+39f12043",
      "MODULE_dddd3333eeee4444ffff+39f12043",
    ]);
    expect((await readdir(path.join(versionDir, "MODULE_dddd3333eeee4444ffff+39f12043"))).sort()).toEqual([
      "compile_flags.json",
      "model.done",
      "model.hlo_module.pb",
      "model.neff",
      "wrapped_neff.hlo",
    ]);

    const found = await lookup({ store, modelId: MODEL });
    expect(found.malformed).toEqual([]);
    expect(found.records).toHaveLength(1);
    expect(found.records[0]?.hash).toBe(digest);
    expect(found.records[0]?.optimumNeuronVersion).toBe("0.4.6.dev4");
    expect(found.records[0]?.config).toEqual({
      batch_size: 1,
      name: "café",
      on_device_sampling: true,
      scale: pyFloat(1),
      sequence_length: 4096,
      torch_dtype: "bfloat16",
      tp_degree: 8,
    });
  });

  it("publishes what Python's fetch and lookup read back, records re-hashing to their names", async () => {
    const compiled = await simulateCompile({ graphs: ["g1", "g2"], cacheDir, compilerVersion: CV });
    const store = createDirStore({ root });
    await store.create();
    const config = {
      batch_size: 2,
      sequence_length: 1024,
      tp_degree: 2,
      torch_dtype: "float16",
      eps: pyFloat(1e-5),
      note: "ünï",
    };
    await sync({
      store,
      cacheDir,
      compilerVersion: CV,
      modelId: MODEL,
      task: TASK,
      exportConfig: config,
      optimumNeuronVersion: "0.4.6",
    });
    const out = execFileSync("python3", ["-c", PYTHON_READER, root, CV, MODEL, TASK, ""], {
      encoding: "utf8",
    });
    const seen = JSON.parse(out) as {
      fetched: Record<string, Record<string, string>>;
      records: Array<{ file: string; rehash: string; version: string; cfg: Record<string, unknown> }>;
      flat: string[];
    };
    const modules = compiled.modules.map((module) => module.name).sort();
    expect(Object.keys(seen.fetched).sort()).toEqual(modules);
    expect(seen.flat).toEqual(modules);
    for (const files of Object.values(seen.fetched)) {
      expect(Object.keys(files)).toEqual(
        expect.arrayContaining(["model.neff", "model.done", "model.hlo_module.pb", "compile_flags.json"]),
      );
      expect(Object.keys(files).some((name) => name.endsWith(".lock") || name === "model.log")).toBe(false);
    }
    expect(seen.records).toHaveLength(1);
    expect(seen.records[0]?.file).toBe(seen.records[0]?.rehash);
    expect(seen.records[0]?.cfg).toEqual({
      batch_size: 2,
      sequence_length: 1024,
      tp_degree: 2,
      torch_dtype: "float16",
      eps: 1e-5,
      note: "ünï",
    });
  });
});
