/**
 * The reference Hugging Face client (huggingface_hub 1.33.0 with hf_xet 1.6.0, and its `hf buckets` CLI)
 * against the local Hub: it must be served as the Hub serves it, and what it writes, the way
 * optimum-neuron's bucket cache writes it, must be what neff-cache reads, and the reverse.
 *
 * Every request the Python client makes is checked after each test: an answer of 400 or more is a
 * failure unless it is one the real service gives too, named in EXPECTED_REFUSALS.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { pyFloat } from "../../src/layout/py-json.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { lookup } from "../../src/ops/lookup.ts";
import { sync } from "../../src/ops/sync.ts";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import type { Store } from "../../src/store/store.ts";
import type { RequestLogEntry } from "../../tools/hub-server/create-stats.ts";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { describeWithPython, venvScript } from "../support/python-test-env.ts";
import type { PythonTestEnv } from "../support/python-test-env.ts";

const TOKEN = "hf_reference_client_write_0123456789";
const USER = "neff";
const CV = "2.21.33363.0+82129205";
const MODEL = "test-org/test-model";
const TASK = "text-generation";
const MiB = 1024 * 1024;

/**
 * Refusals the real service gives the reference client in these flows, so the local Hub gives them too.
 * Anything else at 400 or above fails the test that caused it.
 */
const EXPECTED_REFUSALS: ReadonlyArray<{ route: string; status: number; why: string }> = [
  { route: "bucket-create", status: 409, why: "create of an existing bucket; exist_ok reads the url in it" },
  { route: "cas-chunk", status: 404, why: "global-dedup query for a chunk no stored xorb holds" },
  { route: "cas-reconstruction", status: 416, why: "hf_xet's probe past the end of a file (its EOF signal)" },
];

const execFileAsync = promisify(execFile);
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

describeWithPython("the reference Python client against the local Hub", (py: PythonTestEnv) => {
  let server: HubServer;
  let work: string;
  let buckets = 0;
  let pyEnv: Record<string, string>;

  beforeAll(async () => {
    server = await startHubServer({ tokens: [{ token: TOKEN, scope: "write", user: USER }] });
    work = await mkdtemp(path.join(tmpdir(), "neff-hf-reference-"));
    pyEnv = {
      PATH: `${py.bin}:${process.env.PATH ?? ""}`,
      HOME: work,
      HF_HOME: path.join(work, "hf-home"),
      HF_ENDPOINT: server.url,
      HF_TOKEN: TOKEN,
      HF_HUB_DISABLE_PROGRESS_BARS: "1",
      NO_COLOR: "1",
    };
  });
  afterEach(() => {
    const refused = server.stats
      .log()
      .filter((entry) => entry.status >= 400)
      .filter(
        (entry) => !EXPECTED_REFUSALS.some((r) => r.route === entry.route && r.status === entry.status),
      );
    server.stats.reset();
    expect(refused.map(describeRequest), "requests the local Hub refused").toEqual([]);
  });
  afterAll(async () => {
    await server?.close();
    await rm(work, { recursive: true, force: true });
  });

  const newBucket = (): string => `${USER}/reference-${++buckets}`;
  const python = async (script: string, ...args: string[]): Promise<unknown> => {
    // Asynchronous on purpose: the server answering the script runs in this process.
    const { stdout } = await execFileAsync(py.python, ["-c", script, ...args], {
      env: pyEnv,
      cwd: work,
      maxBuffer: 64 * MiB,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`python failed: ${error.stderr?.slice(-3000) ?? error.message}`);
    });
    return JSON.parse(stdout.trim().split("\n").at(-1) as string) as unknown;
  };
  const hf = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync(venvScript(py, "hf"), args, {
      env: pyEnv,
      cwd: work,
      maxBuffer: 64 * MiB,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`hf ${args.join(" ")} failed: ${error.stderr?.slice(-3000) ?? error.message}`);
    });
    return stdout;
  };
  const neffStore = (bucket: string): Store => {
    const [namespace = "", name = ""] = bucket.split("/");
    return createHfStore({
      namespace,
      name,
      prefix: "",
      env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url, HF_HOME: path.join(work, "neff-hf-home") },
    });
  };

  it("HfApi: create with exist_ok, add files and bytes (one over 64 MiB), list, download, delete, dedup", async () => {
    const bucket = newBucket();
    const big = randomBytes(66 * MiB + 12_345);
    const bigPath = path.join(work, "big.bin");
    await writeFile(bigPath, big);
    const result = (await python(HFAPI_FLOW, bucket, bigPath, work)) as HfApiFlowResult;

    expect(result.urls).toEqual([`${server.url}/buckets/${bucket}`, `${server.url}/buckets/${bucket}`]);
    // An omitted `recursive` lists every file and no directory, as the real service does.
    expect(result.defaultListing).toEqual([
      ["file", "data-other.txt"],
      ["file", "data/big.bin"],
      ["file", "data/hello.txt"],
      ["file", "data/sub/x.bin"],
      ["file", "top.txt"],
    ]);
    expect(result.topLevel).toEqual([
      ["directory", "data"],
      ["file", "data-other.txt"],
      ["file", "top.txt"],
    ]);
    // Prefixes match as raw strings on the real service: "data" also finds "data-other.txt".
    expect(result.underData).toEqual(["data-other.txt", "data/big.bin", "data/hello.txt", "data/sub/x.bin"]);
    expect(result.pathsInfo).toEqual({ "data/big.bin": big.length });
    expect(result.bigSha256).toBe(sha256(big));
    // hf_xet's own hash of the file is the one the server registered.
    expect(result.listedXetHash).toBe(result.localXetHash);
    expect(result.afterDelete).toEqual(["data-other.txt", "data/big.bin", "data/sub/x.bin", "top.txt"]);
    // hf_xet is xet-core's chunker: it never cuts a short chunk inside a file.
    expect(server.stats.uploads().undersizedChunks).toBe(0);
    // 66 MiB of chunk data needs two xorbs, the first one at the 64 MiB data limit.
    const xorbPosts = server.stats.requests("cas-xorb");
    expect(xorbPosts).toBeGreaterThanOrEqual(2);

    // Re-uploading the same bytes under another name sends no xorb.
    expect(await python(REUPLOAD, bucket, bigPath)).toEqual([result.listedXetHash]);
    expect(server.stats.requests("cas-xorb")).toBe(xorbPosts);
  });

  it("HfApi pages listings past 1000 entries through the Link header", async () => {
    const bucket = newBucket();
    const result = (await python(MANY_FILES_FLOW, bucket, "1005")) as { count: number; unique: number };
    expect(result).toEqual({ count: 1005, unique: 1005 });
    expect(server.stats.requests("tree")).toBeGreaterThanOrEqual(2);
  });

  it("hf buckets: create --exist-ok, sync, ls, cp, rm, and a second sync that sends no xorb", async () => {
    const bucket = newBucket();
    const source = path.join(work, "cli-source");
    await mkdir(path.join(source, "sub"), { recursive: true });
    const files = new Map<string, Buffer>([
      ["a.txt", Buffer.from("alpha\n")],
      ["sub/b.bin", randomBytes(3 * MiB)],
      ["sub/c.bin", randomBytes(200_000)],
    ]);
    for (const [name, bytes] of files) await writeFile(path.join(source, name), bytes);

    await hf("buckets", "create", bucket, "--exist-ok");
    await hf("buckets", "create", bucket, "--exist-ok");
    await hf("buckets", "sync", source, `hf://buckets/${bucket}/first`);
    const xorbs = server.stats.uploads().xorbsInserted;
    expect(xorbs).toBeGreaterThan(0);
    await hf("buckets", "sync", source, `hf://buckets/${bucket}/second`);
    expect(server.stats.uploads().xorbsInserted).toBe(xorbs);

    const listed = JSON.parse(
      await hf("buckets", "ls", `${bucket}/first`, "--recursive", "--json"),
    ) as Array<{
      path: string;
      size?: number;
    }>;
    expect(listed.filter((e) => e.size !== undefined).map((e) => [e.path, e.size])).toEqual(
      [...files].map(([name, bytes]) => [`first/${name}`, bytes.length]),
    );
    const copy = path.join(work, "b.copy");
    await hf("buckets", "cp", `hf://buckets/${bucket}/second/sub/b.bin`, copy);
    expect(sha256(await readFile(copy))).toBe(sha256(files.get("sub/b.bin") as Buffer));
    await hf("buckets", "rm", `${bucket}/first/a.txt`, "--yes");
    const paths = (await neffListing(neffStore(bucket))).sort();
    expect(paths).toEqual(
      ["first/sub/b.bin", "first/sub/c.bin", "second/a.txt", "second/sub/b.bin", "second/sub/c.bin"].sort(),
    );
  });

  it("neff-cache fetches and looks up what optimum-neuron's bucket cache wrote with HfApi", async () => {
    const bucket = newBucket();
    const localCache = path.join(work, "python-cache");
    const written = (await python(OPTIMUM_NEURON_SYNC, bucket, localCache, CV, MODEL, TASK)) as {
      digest: string;
      sha256: Record<string, Record<string, string>>;
    };
    const cacheDir = path.join(work, "neff-cache-from-python");
    const store = neffStore(bucket);
    const result = await fetch({ store, cacheDir, compilerVersion: CV, modelId: MODEL, task: TASK });
    expect(result.fetched.map((entry) => entry.module).sort()).toEqual([SUCCESS_A, SUCCESS_B]);
    expect(result.skipped.map((skip) => [skip.module, skip.reason]).sort()).toEqual([
      [LOCKED, "remote-incomplete"],
      [FAILED, "remote-incomplete"],
    ]);
    const versionDir = path.join(cacheDir, compilerVersionDir(CV));
    for (const module of [SUCCESS_A, SUCCESS_B]) {
      const names = (await readdir(path.join(versionDir, module))).sort();
      expect(names).toEqual(Object.keys(written.sha256[module] ?? {}).sort());
      for (const name of names) {
        expect(sha256(await readFile(path.join(versionDir, module, name))), `${module}/${name}`).toBe(
          written.sha256[module]?.[name],
        );
      }
    }
    const found = await lookup({ store, modelId: MODEL });
    expect(found.malformed).toEqual([]);
    expect(found.records.map((record) => [record.hash, record.optimumNeuronVersion, record.task])).toEqual([
      [written.digest, "0.4.6", TASK],
    ]);
    expect(found.records[0]?.config).toEqual({
      batch_size: 1,
      sequence_length: 4096,
      tp_degree: 8,
      torch_dtype: "bfloat16",
      rms_norm_eps: pyFloat(1e-5),
      scale: pyFloat(1),
      name: "café",
    });
  });

  it("what neff-cache publishes, optimum-neuron's fetch_cache and lookup_cache read back byte for byte", async () => {
    const bucket = newBucket();
    const cacheDir = path.join(work, "neff-cache-to-python");
    const compiled = await simulateCompile({
      graphs: ["graph-one", "graph-two"],
      cacheDir,
      compilerVersion: CV,
      neffBytes: 2 * MiB + 777,
    });
    const store = neffStore(bucket);
    await store.create();
    const config = {
      batch_size: 2,
      sequence_length: 1024,
      eps: pyFloat(1e-5),
      scale: pyFloat(1),
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
    const target = path.join(work, "python-fetched");
    const seen = (await python(OPTIMUM_NEURON_FETCH, bucket, target, CV, MODEL, TASK)) as {
      sha256: Record<string, Record<string, string>>;
      records: Array<{ name: string; rehash: string; version: string; cfg: Record<string, unknown> }>;
    };
    const versionDir = path.join(cacheDir, compilerVersionDir(CV));
    const modules = compiled.modules.map((module) => module.name).sort();
    expect(Object.keys(seen.sha256).sort()).toEqual(modules);
    for (const module of modules) {
      const files = seen.sha256[module] ?? {};
      for (const required of ["model.neff", "model.done", "model.hlo_module.pb", "compile_flags.json"]) {
        expect(Object.keys(files), module).toContain(required);
      }
      for (const [name, digest] of Object.entries(files)) {
        if (!name.startsWith("model.") && name !== "compile_flags.json") continue;
        expect(digest, `${module}/${name}`).toBe(sha256(await readFile(path.join(versionDir, module, name))));
      }
    }
    expect(seen.records).toHaveLength(1);
    expect(seen.records[0]?.name).toBe(seen.records[0]?.rehash);
    expect(seen.records[0]?.cfg).toEqual({
      batch_size: 2,
      sequence_length: 1024,
      eps: 1e-5,
      scale: 1,
      note: "ünï",
    });
  });
});

// --- internal ---

const SUCCESS_A = "MODULE_aaaa1111bbbb2222cccc+39f12043";
const SUCCESS_B = "MODULE_dddd3333eeee4444ffff+39f12043";
const FAILED = "MODULE_9999000011112222aaaa+39f12043";
const LOCKED = "MODULE_5555666677778888bbbb+39f12043";

interface HfApiFlowResult {
  urls: string[];
  defaultListing: string[][];
  topLevel: string[][];
  underData: string[];
  pathsInfo: Record<string, number>;
  bigSha256: string;
  listedXetHash: string;
  localXetHash: string;
  afterDelete: string[];
}

const describeRequest = (entry: RequestLogEntry): string =>
  `${entry.method} ${entry.path} (${entry.route}) -> ${entry.status}`;

const neffListing = async (store: Store): Promise<string[]> => {
  const paths: string[] = [];
  for await (const item of store.list("", { recursive: true })) paths.push(item.key);
  return paths;
};

const HFAPI_FLOW = String.raw`
import hashlib, json, os, sys
import hf_xet
from huggingface_hub import HfApi
bucket, big_path, work = sys.argv[1:4]
api = HfApi()
urls = [api.create_bucket(bucket, exist_ok=True).url, api.create_bucket(bucket, exist_ok=True).url]
api.batch_bucket_files(bucket, add=[
    (big_path, "data/big.bin"),
    (b"hello", "data/hello.txt"),
    (os.urandom(10000), "data/sub/x.bin"),
    (b"top", "top.txt"),
    (b"sibling", "data-other.txt"),
])
default_listing = sorted([f.type, f.path] for f in api.list_bucket_tree(bucket))
top_level = sorted([f.type, f.path] for f in api.list_bucket_tree(bucket, recursive=False))
under_data = sorted(f.path for f in api.list_bucket_tree(bucket, prefix="data", recursive=True))
paths_info = {f.path: f.size for f in api.get_bucket_paths_info(bucket, ["data/big.bin", "missing.bin"])}
out = os.path.join(work, "big.out")
api.download_bucket_files(bucket, [("data/big.bin", out)])
with open(out, "rb") as f:
    big_sha256 = hashlib.sha256(f.read()).hexdigest()
listed = {f.path: f.xet_hash for f in api.list_bucket_tree(bucket, prefix="data/big.bin")}
local = hf_xet.hash_files([big_path])[0]
api.batch_bucket_files(bucket, delete=["data/hello.txt"])
after_delete = sorted(f.path for f in api.list_bucket_tree(bucket))
print(json.dumps({"urls": urls, "defaultListing": default_listing, "topLevel": top_level,
                  "underData": under_data, "pathsInfo": paths_info, "bigSha256": big_sha256,
                  "listedXetHash": listed["data/big.bin"], "localXetHash": local.hash,
                  "afterDelete": after_delete}))
`;

const REUPLOAD = String.raw`
import json, sys
from huggingface_hub import HfApi
bucket, big_path = sys.argv[1:3]
api = HfApi()
api.batch_bucket_files(bucket, add=[(big_path, "copy/big-again.bin")])
print(json.dumps([f.xet_hash for f in api.list_bucket_tree(bucket, prefix="copy/big-again.bin")]))
`;

const MANY_FILES_FLOW = String.raw`
import json, sys
from huggingface_hub import HfApi
bucket, count = sys.argv[1], int(sys.argv[2])
api = HfApi()
api.create_bucket(bucket)
api.batch_bucket_files(bucket, add=[(f"file {i}".encode(), f"many/{i:05d}.txt") for i in range(count)])
paths = [f.path for f in api.list_bucket_tree(bucket, prefix="many", recursive=True)]
print(json.dumps({"count": len(paths), "unique": len(set(paths))}))
`;

// optimum-neuron's sync_cache: every top-level file of each new module to the flat and the model area,
// failed and locked entries included, in one batch; then the export record in a second batch.
const OPTIMUM_NEURON_SYNC = String.raw`
import hashlib, json, os, sys
from huggingface_hub import HfApi
bucket, cache, cv, model, task = sys.argv[1:6]
api = HfApi()
api.create_bucket(bucket, exist_ok=True)
modules = {
    "${SUCCESS_A}": {"model.hlo_module.pb": b"hlo-a", "compile_flags.json": b'["--flag"]', "model.neff": os.urandom(2 * 1024 * 1024 + 5), "model.done": b""},
    "${SUCCESS_B}": {"model.hlo_module.pb": b"hlo-b", "compile_flags.json": b'["--flag"]', "model.neff": b"M" * 70000, "model.done": b"", "wrapped_neff.hlo": b"W" * 300},
    "${FAILED}": {"model.hlo_module.pb": b"hlo-c", "compile_flags.json": b'["--flag"]', "model.log": b"compiler error"},
    "${LOCKED}": {"model.hlo_module.pb": b"hlo-d", "model.hlo_module.pb.lock": b""},
}
files_to_add, digests = [], {}
for module in sorted(modules):
    folder = os.path.join(cache, f"neuronxcc-{cv}", module)
    os.makedirs(folder, exist_ok=True)
    for name, data in modules[module].items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        digests.setdefault(module, {})[name] = hashlib.sha256(data).hexdigest()
    for entry in sorted(os.listdir(folder)):
        local = os.path.join(folder, entry)
        if os.path.isfile(local):
            files_to_add.append((local, f"neuronxcc-{cv}/{module}/{entry}"))
            files_to_add.append((local, f"neuronxcc-{cv}/{model}/{task}/{module}/{entry}"))
api.batch_bucket_files(bucket, add=files_to_add)
cfg = {"batch_size": 1, "sequence_length": 4096, "tp_degree": 8, "torch_dtype": "bfloat16", "rms_norm_eps": 1e-05, "scale": 1.0, "name": "caf\u00e9"}
digest = hashlib.sha256(json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:8]
content = json.dumps(cfg, sort_keys=True, indent=2)
api.batch_bucket_files(bucket, add=[(content.encode(), f"neuronxcc-{cv}/{model}/{task}/exports/0.4.6/{digest}.json")])
print(json.dumps({"digest": digest, "sha256": {m: d for m, d in digests.items() if m in ("${SUCCESS_A}", "${SUCCESS_B}")}}))
`;

// optimum-neuron's fetch_cache (one non-recursive listing, one recursive listing per module, one
// download call) and lookup_cache (records read and re-hashed).
const OPTIMUM_NEURON_FETCH = String.raw`
import hashlib, json, os, sys
from huggingface_hub import HfApi
bucket, target, cv, model, task = sys.argv[1:6]
api = HfApi()
prefix = f"neuronxcc-{cv}/{model}/{task}"
folders = [i.path for i in api.list_bucket_tree(bucket, prefix=prefix, recursive=False)
           if i.type == "directory" and os.path.basename(i.path).startswith("MODULE_")]
files = []
for folder in folders:
    module = os.path.basename(folder)
    for item in api.list_bucket_tree(bucket, prefix=folder, recursive=True):
        if item.type == "file":
            files.append((item.path, os.path.join(target, module, os.path.basename(item.path))))
for _, local in files:
    os.makedirs(os.path.dirname(local), exist_ok=True)
api.download_bucket_files(bucket, files)
digests = {}
for _, local in files:
    with open(local, "rb") as f:
        digests.setdefault(os.path.basename(os.path.dirname(local)), {})[os.path.basename(local)] = hashlib.sha256(f.read()).hexdigest()
records = []
for item in api.list_bucket_tree(bucket, prefix=f"{prefix}/exports", recursive=True):
    if item.type != "file":
        continue
    out = os.path.join(target, "record.json")
    api.download_bucket_files(bucket, [(item.path, out)])
    with open(out) as f:
        cfg = json.load(f)
    rehash = hashlib.sha256(json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:8]
    records.append({"name": os.path.basename(item.path), "rehash": rehash + ".json",
                    "version": item.path.split("/")[-2], "cfg": cfg})
print(json.dumps({"sha256": digests, "records": records}))
`;
