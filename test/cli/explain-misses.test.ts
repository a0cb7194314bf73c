/**
 * `exec` explaining every compile the cache did not serve, and `--require-hit` stopping one, on
 * the compiler simulator (whose flags feed the flags hash as the compiler's do) and a directory
 * store. Each reason the README lists is produced by a real run here.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportRecordHash } from "../../src/layout/export-record.ts";
import { parseManifest } from "../../src/layout/entry-manifest.ts";
import { runCliCaptured } from "../support/run-cli.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const CV = "2.21.33363.0+82129205";
const OLD_CV = "2.20.9961.0+0acef03a";
const MODEL = "org/llama";
const TASK = "text-generation";

let work: string;
let store: string;
let cache: string;
let env: Record<string, string | undefined>;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-explain-"));
  store = path.join(work, "store");
  cache = path.join(work, "cache");
  await mkdir(store);
  env = {
    PATH: process.env.PATH,
    HOME: work,
    HF_HOME: path.join(work, "hf"),
    NEFF_CACHE_COMPILER_VERSION: CV,
  };
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Reason {
  kind: string;
  [field: string]: unknown;
}
interface ExecJson {
  exitCode: number;
  stoppedForCompile: boolean;
  cache: {
    fetch: { fetched: unknown[] } | null;
    sync: { published: unknown[] } | null;
    syncSkipped: string | null;
    misses: {
      modules: string[];
      explanations: Array<{ module: string; reasons: Reason[] }>;
      unexplained: string | null;
    } | null;
  };
}

const cli = (...argv: string[]) => runCliCaptured(argv, { env, cwd: work });
/** `exec --json` of the simulator compiling `graphs` with `flags`; the JSON report and the human lines. */
async function exec(options: {
  graph: string;
  graphs?: number;
  flags?: string;
  task?: string;
  compilerVersion?: string;
  compileMs?: number;
  config?: Record<string, unknown>;
  extra?: string[];
  /** Human lines only (on stderr) instead of the --json report. */
  human?: boolean;
  /** More simulator arguments. */
  sim?: string[];
}): Promise<{ code: number; report: ExecJson; stderr: string }> {
  const version = options.compilerVersion ?? CV;
  const argv = [
    "exec",
    "--model",
    MODEL,
    "--task",
    options.task ?? TASK,
    "--bucket",
    store,
    "--cache-dir",
    cache,
  ];
  argv.push("--compiler-version", version, ...(options.extra ?? []));
  if (options.config) {
    const file = path.join(work, `config-${exportRecordHash(options.config as never)}.json`);
    await writeFile(file, JSON.stringify(options.config));
    argv.push("--config", file, "--optimum-neuron-version", "0.4.6");
  }
  argv.push(
    ...(options.human ? [] : ["--json"]),
    "--",
    ...simulatorCommand(),
    "--cache-dir",
    cache,
    "--compiler-version",
    version,
  );
  argv.push("--graph-text", options.graph, "--graphs", String(options.graphs ?? 1));
  argv.push(
    "--flags",
    options.flags ?? "--target=trn1",
    "--compile-ms",
    String(options.compileMs ?? 0),
    ...(options.sim ?? []),
  );
  const run = await cli(...argv);
  const report = options.human ? ({} as ExecJson) : (JSON.parse(run.stdout) as ExecJson);
  return { code: run.code, report, stderr: run.stderr };
}
const reasons = (report: ExecJson): Reason[][] =>
  (report.cache.misses?.explanations ?? []).map((explanation) => explanation.reasons);
const wipe = () => rm(cache, { recursive: true, force: true });

describe("exec explains its misses", () => {
  it("same graph, other flags: names the flags that differ", async () => {
    await exec({ graph: "llama", graphs: 2, flags: "--target=trn1 -O1" });
    await wipe();
    const run = await exec({ graph: "llama", graphs: 2, flags: "--target=trn1 -O2" });
    expect(run.code).toBe(0);
    expect(reasons(run.report).map((list) => list[0])).toEqual([
      expect.objectContaining({ kind: "other-flags", added: ["-O2"], removed: ["-O1"] }),
      expect.objectContaining({ kind: "other-flags", added: ["-O2"], removed: ["-O1"] }),
    ]);
    await wipe();
    const human = await exec({ graph: "llama", graphs: 2, flags: "--target=trn1 -O3", human: true });
    expect(human.stderr).toMatch(
      /neff-cache: 2 entries compiled that the cache did not serve:\nneff-cache: {3}MODULE_\S+: the same graph is cached with other flags \(MODULE_\S+\): this compile has -O3; the cached one has -O[12]/,
    );
  });

  it("same graph, other flags, also when the producer hashes the flags into the graph hash (NxD)", async () => {
    const nxd = ["--hash-style", "nxd"];
    await exec({ graph: "llama", flags: "--target=trn1 -O1", sim: nxd });
    await wipe();
    const run = await exec({ graph: "llama", flags: "--target=trn1 -O2", sim: nxd });
    const [reason] = reasons(run.report)[0] ?? [];
    expect(reason).toMatchObject({ kind: "other-flags", added: ["-O2"], removed: ["-O1"] });
    // Both halves of the name differ: the match came from the HLO bytes in the manifest.
    const cached = reason?.cachedModule as string;
    expect(cached.split("+")[0]).not.toBe(run.report.cache.misses?.modules[0]?.split("+")[0]);
  });

  it("same entry, other compiler version: names it", async () => {
    await exec({ graph: "llama", compilerVersion: OLD_CV });
    await wipe();
    const run = await exec({ graph: "llama" });
    expect(reasons(run.report)[0]?.[0]).toEqual({
      kind: "other-compiler-version",
      compilerVersions: [OLD_CV],
    });
    await wipe();
    const human = await exec({ graph: "llama", compilerVersion: "2.22.0", human: true });
    expect(human.stderr).toContain(`this entry is cached for compiler ${OLD_CV}, ${CV}, not for 2.22.0`);
  });

  it("other export configuration: names the nearest cached ones and the fields that differ", async () => {
    // The simulator's graph stands for what the export configuration makes of the model.
    await exec({
      graph: "llama bs=1",
      config: { batch_size: 1, sequence_length: 4096, torch_dtype: "bfloat16" },
    });
    await wipe();
    const run = await exec({
      graph: "llama bs=4",
      config: { batch_size: 4, sequence_length: 4096, torch_dtype: "bf16" },
    });
    const [reason] = reasons(run.report)[0] ?? [];
    expect(reason).toMatchObject({
      kind: "other-graph",
      entries: 1,
      cachedConfigHashes: [
        exportRecordHash({ batch_size: 1, sequence_length: 4096, torch_dtype: "bfloat16" }),
      ],
      nearest: [{ differences: [{ field: "batch_size", requested: "4", cached: "1" }] }],
    });
    await wipe();
    const human = await exec({
      graph: "llama bs=2",
      config: { batch_size: 2, sequence_length: 4096, torch_dtype: "bf16" },
      human: true,
    });
    expect(human.stderr).toMatch(
      /none for this graph;.*nearest cached configurations: batch_size [14] \(yours 2\)/,
    );
  });

  it("model never cached: says what the store has instead", async () => {
    await exec({ graph: "llama", task: "feature-extraction" });
    await wipe();
    const run = await exec({ graph: "llama" });
    expect(reasons(run.report)[0]).toEqual([
      { kind: "nothing-cached", otherTasks: ["feature-extraction"], otherCompilerVersions: [] },
    ]);
    const fresh = await exec({ graph: "mistral", task: "new-task", compilerVersion: OLD_CV });
    expect(reasons(fresh.report)[0]?.[0]).toMatchObject({
      kind: "nothing-cached",
      otherCompilerVersions: [CV],
    });
  });

  it("store entry corrupt or failed: says why it could not be used", async () => {
    await exec({ graph: "llama", graphs: 2 });
    const area = path.join(store, `neuronxcc-${CV}`, MODEL, TASK);
    const [corrupt, failed] = (await readdir(area)).sort();
    const neff = path.join(area, corrupt ?? "", "model.neff");
    await writeFile(neff, Buffer.alloc((await readFile(neff)).length, 7));
    // A failed compile another tool left in the store: a log and no NEFF.
    for (const file of ["model.neff", "model.done", "neff-cache.manifest.json"])
      await rm(path.join(area, failed ?? "", file));
    await writeFile(path.join(area, failed ?? "", "model.log"), "ERROR");
    await wipe();
    const run = await exec({ graph: "llama", graphs: 2 });
    const byModule = new Map(
      (run.report.cache.misses?.explanations ?? []).map((item) => [item.module, item.reasons[0]]),
    );
    expect(byModule.get(corrupt ?? "")).toEqual({
      kind: "store-entry-unusable",
      detail: expect.stringMatching(/verification failed/) as unknown,
    });
    expect(byModule.get(failed ?? "")).toEqual({
      kind: "store-entry-unusable",
      detail: expect.stringMatching(/not a complete success/) as unknown,
    });
    await wipe();
    const human = await exec({ graph: "llama", graphs: 2, human: true });
    expect(human.stderr).toMatch(/the store has this entry but it could not be used: verification failed/);
  });

  it("records the key factors in the manifest: flags, export configuration, compile time", async () => {
    const config = { batch_size: 1, sequence_length: 128 };
    await exec({ graph: "llama", flags: "--target=trn1 -O1", compileMs: 400, config });
    const area = path.join(store, `neuronxcc-${CV}`, MODEL, TASK);
    const [module] = await readdir(area);
    const parsed = parseManifest(
      await readFile(path.join(area, module ?? "", "neff-cache.manifest.json"), "utf8"),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.manifest.keyFactors ?? {}).toMatchObject({
      compileFlags: ["--target=trn1", "-O1"],
      exportConfigHash: exportRecordHash(config),
    });
    expect(parsed.manifest.keyFactors?.compileMs).toBeGreaterThanOrEqual(400);
    expect(parsed.manifest.keyFactors?.compileMs).toBeLessThan(60_000);
    // A fetch of the entry knows the compile it saved.
    await wipe();
    const again = await exec({ graph: "llama", flags: "--target=trn1 -O1", config });
    expect(again.report.cache.fetch?.fetched).toEqual([
      expect.objectContaining({ compileSeconds: (parsed.manifest.keyFactors?.compileMs ?? 0) / 1000 }),
    ]);
  });

  it("explains nothing on a run the cache fully served", async () => {
    await exec({ graph: "llama", graphs: 2 });
    await wipe();
    const run = await exec({ graph: "llama", graphs: 2 });
    expect(run.report.cache.fetch?.fetched).toHaveLength(2);
    expect(run.report.cache.misses).toBeNull();
    expect(run.stderr).not.toContain("did not serve");
  });
});

describe("exec --require-hit", () => {
  it("stops a 30 s compile the cache did not serve, publishes nothing and exits 8 with the reason", async () => {
    await exec({ graph: "llama", flags: "--target=trn1 -O1" });
    await wipe();
    const run = await exec({
      graph: "llama",
      flags: "--target=trn1 -O2",
      compileMs: 30_000,
      extra: ["--require-hit"],
    });
    expect(run.code).toBe(8);
    expect(run.report.stoppedForCompile).toBe(true);
    expect(run.report.exitCode).toBe(143);
    expect(run.report.cache.sync).toBeNull();
    // Only the first publish is in the store, and the stopped compile wrote no NEFF...
    expect(await readdir(path.join(store, `neuronxcc-${CV}`, MODEL, TASK))).toHaveLength(1);
    const stopped = run.report.cache.misses?.modules ?? [];
    expect(stopped).toHaveLength(1);
    const local = path.join(cache, `neuronxcc-${CV}`);
    // ... and its stale lock is gone, so the next compile of that graph does not wait on it.
    for (const module of stopped) {
      const files = await readdir(path.join(local, module));
      expect(files).not.toContain("model.neff");
      expect(files.filter((name) => name.endsWith(".lock"))).toEqual([]);
    }
    // Stopped as it started, it may not have written its own flags yet; the cached side's are known.
    expect(run.report.cache.misses?.explanations[0]?.reasons[0]).toMatchObject({
      kind: "other-flags",
      cachedFlags: ["--target=trn1", "-O1"],
    });
    await wipe();
    const human = await exec({
      graph: "llama",
      flags: "-O3",
      compileMs: 30_000,
      extra: ["--require-hit"],
      human: true,
    });
    expect(human.code).toBe(8);
    expect(human.stderr).toMatch(
      /stopped the command: it started compiling MODULE_\S+, which the cache did not serve/,
    );
    expect(human.stderr).toMatch(/the same graph is cached with other flags/);
  }, 20_000);

  it("lets a fully cached run pass untouched (NEFF_CACHE_REQUIRE_HIT=1)", async () => {
    await exec({ graph: "llama", graphs: 3 });
    await wipe();
    env.NEFF_CACHE_REQUIRE_HIT = "1";
    const run = await exec({ graph: "llama", graphs: 3, compileMs: 30_000 });
    expect(run.code).toBe(0);
    expect(run.report.stoppedForCompile).toBe(false);
    expect(run.report.cache.fetch?.fetched).toHaveLength(3);
    expect(run.report.cache.misses).toBeNull();
    const again = await exec({ graph: "llama", graphs: 4, compileMs: 30_000 });
    expect(again.code).toBe(8);
  }, 20_000);

  it("refuses to run without a local compile cache", async () => {
    env.NEURON_COMPILE_CACHE_URL = "s3://bucket/cache";
    const run = await cli("exec", "--require-hit", "--model", MODEL, "--bucket", store, "--", "true");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--require-hit needs the local compile cache/);
  });
});

describe("neff-cache explain", () => {
  it("says which local entries the store lacks and why, and which store entries the local cache lacks", async () => {
    await exec({ graph: "llama", graphs: 2, flags: "-O1" });
    await wipe();
    // Compiled here without the cache: other flags, and one graph of its own.
    const sim = [...simulatorCommand(), "--cache-dir", cache, "--flags", "-O2"];
    spawnSync(sim[0] ?? "", [...sim.slice(1), "--graph-text", "llama", "--graphs", "3"], { env });
    const run = await cli(
      "explain",
      MODEL,
      "--task",
      TASK,
      "--bucket",
      store,
      "--cache-dir",
      cache,
      "--json",
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      shared: string[];
      localOnly: Array<{ module: string; reasons: Reason[] }>;
      storeOnly: Array<{ module: string; reason: string }>;
    };
    expect(result.shared).toEqual([]);
    expect(result.localOnly.map((entry) => entry.reasons[0]?.kind).sort()).toEqual([
      "other-flags",
      "other-flags",
      "other-graph",
    ]);
    expect(result.storeOnly.map((entry) => entry.reason)).toEqual(["not-fetched", "not-fetched"]);
    const human = await cli("explain", MODEL, "--task", TASK, "--bucket", store, "--cache-dir", cache);
    expect(human.stdout).toMatch(/3 local entries the store lacks:\n {4}MODULE_\S+: /);
    expect(human.stdout).toMatch(
      /2 store entries the local cache lacks:\n {4}MODULE_\S+: not in the local cache/,
    );
  });
});

describe("neff-cache lookup --nearest", () => {
  it("ranks the cached configurations by closeness, each with the fields that differ", async () => {
    await exec({
      graph: "a",
      config: { batch_size: 1, sequence_length: 4096, tp_degree: 2, torch_dtype: "bfloat16" },
    });
    await exec({
      graph: "b",
      config: { batch_size: 4, sequence_length: 2048, tp_degree: 8, torch_dtype: "float16" },
    });
    const wanted = path.join(work, "wanted.json");
    // Spelt as another producer would: the aliases and value spellings of lookup's filters.
    await writeFile(
      wanted,
      '{"batch_size": 1, "sequence_length": 2048, "tensor_parallel_size": 2, "dtype": "bf16"}',
    );
    const run = await cli("lookup", MODEL, "--bucket", store, "--nearest", wanted, "--json");
    expect(run.code).toBe(0);
    const records = (
      JSON.parse(run.stdout) as { records: Array<{ config: { batch_size: number }; differences: unknown }> }
    ).records;
    expect(records.map((record) => [record.config.batch_size, record.differences])).toEqual([
      [1, [{ field: "sequence_length", requested: "2048", cached: "4096" }]],
      [
        4,
        [
          { field: "batch_size", requested: "1", cached: "4" },
          { field: "tensor_parallel_size", requested: "2", cached: "8" },
          { field: "dtype", requested: "bfloat16", cached: "float16" },
        ],
      ],
    ]);
    const human = await cli("lookup", MODEL, "--bucket", store, "--nearest", wanted);
    expect(human.stdout).toMatch(/nearest first:/);
    expect(human.stdout).toMatch(/sequence_length 4096 \(yours 2048\)/);
    const missing = await cli("lookup", MODEL, "--bucket", store, "--nearest", path.join(work, "none.json"));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});
