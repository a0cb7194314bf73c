/**
 * The main job on the embedded default, end to end through the real CLI: a toy model is
 * compiled by the compiler simulator through `neff-cache exec` into a fresh cache and published
 * to a directory store; the local cache is wiped; the same compile fetches everything and
 * compiles nothing; a last run is warm; a run with other compiler flags compiles again, and exec
 * explains why. Each phase's outcome is checked and timed.
 */
import { spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WORK = path.join(ROOT, ".run", "demo");
const STORE = path.join(WORK, "store");
const CACHE = path.join(WORK, "cache");
const COMPILER_VERSION = "2.21.33363.0+82129205";
const MODEL = "demo-org/tiny-llama";
const TASK = "text-generation";
const GRAPHS = 4;

interface Phase {
  name: string;
  outcome: string;
  ms: number;
  ok: boolean;
}

interface ExecJson {
  exitCode: number;
  cache: {
    fetch: { fetched: unknown[]; bytes: number } | null;
    sync: { published: unknown[]; record: { created: boolean } | null } | null;
    changedEntries: string[];
  } | null;
  warnings: string[];
}

async function main(): Promise<number> {
  await rm(WORK, { recursive: true, force: true });
  await mkdir(WORK, { recursive: true });
  const config = path.join(WORK, "export-config.json");
  await writeFile(
    config,
    JSON.stringify({
      batch_size: 1,
      sequence_length: 2048,
      tp_degree: 2,
      torch_dtype: "bfloat16",
      target: "trn1",
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEFF_CACHE_COMPILER_VERSION: COMPILER_VERSION,
    NEURON_CC_FLAGS: `--cache_dir=${CACHE}`,
  };
  delete env.NEURON_CACHE_BUCKET;

  say(`neff-cache demo: ${MODEL} (${GRAPHS} graphs) with a directory store at ${path.relative(ROOT, STORE)}`);
  await cli(["create", `file://${STORE}`], env);

  const compile = [
    "exec",
    "--model",
    MODEL,
    "--task",
    TASK,
    "--config",
    config,
    "--optimum-neuron-version",
    "0.4.6",
    "--bucket",
    `file://${STORE}`,
    "--json",
    "--",
    process.execPath,
    "--import",
    "tsx",
    path.join(ROOT, "tools/neuronx-cc-sim/main.ts"),
    "--graph-text",
    "tiny-llama decoder layer",
    "--graphs",
    String(GRAPHS),
    "--compile-ms",
    "1500",
    "--neff-bytes",
    "4000000",
  ];
  const phases: Phase[] = [];

  say("\n[1/5] cold compile: nothing cached anywhere, the compiler works, new entries are published");
  const first = await exec(compile, env);
  phases.push({
    name: "1. cold compile + publish",
    ms: first.ms,
    ok:
      first.json.exitCode === 0 &&
      count(first.json.cache?.sync?.published) === GRAPHS &&
      first.json.cache?.sync?.record?.created === true,
    outcome: `${count(first.json.cache?.changedEntries)} compiled, ${count(first.json.cache?.sync?.published)} published, export record ${first.json.cache?.sync?.record?.created ? "written" : "missing"}`,
  });

  say("\n[2/5] wipe the local cache");
  const wiped = await cli(["cleanup", "--wipe", "--cache-dir", CACHE], env);
  phases.push({
    name: "2. wipe local cache",
    ms: wiped.ms,
    ok: wiped.code === 0,
    outcome: wiped.stdout.trim(),
  });

  say("\n[3/5] same compile on a clean machine: fetched from the store, zero recompilation");
  const second = await exec(compile, env);
  phases.push({
    name: "3. fetch instead of compile",
    ms: second.ms,
    ok:
      second.json.exitCode === 0 &&
      count(second.json.cache?.fetch?.fetched) === GRAPHS &&
      count(second.json.cache?.changedEntries) === 0,
    outcome: `${count(second.json.cache?.fetch?.fetched)} fetched, ${count(second.json.cache?.changedEntries)} compiled`,
  });

  say("\n[4/5] warm: everything is local, nothing to fetch or publish");
  const third = await exec(compile, env);
  phases.push({
    name: "4. warm run",
    ms: third.ms,
    ok:
      third.json.exitCode === 0 &&
      count(third.json.cache?.fetch?.fetched) === 0 &&
      third.json.cache?.sync === null,
    outcome: `${count(third.json.cache?.fetch?.fetched)} fetched, ${count(third.json.cache?.changedEntries)} compiled, nothing published`,
  });

  say("\n[5/5] the same model with other compiler flags (-O2): it compiles again, and exec says why");
  const jsonAt = compile.indexOf("--json");
  const otherFlags = [...compile.slice(0, jsonAt), ...compile.slice(jsonAt + 1), "--flags", "-O2"];
  const fifth = await cli(otherFlags, env);
  const explained = fifth.stderr
    .split("\n")
    .filter((line) => line.includes("the same graph is cached with other flags"));
  phases.push({
    name: "5. explained miss",
    ms: fifth.ms,
    ok: fifth.code === 0 && explained.length === GRAPHS,
    outcome: `${explained.length} of ${GRAPHS} misses explained: cached with other flags`,
  });

  say("\nlookup: the export configurations cached for the model");
  const looked = await cli(["lookup", MODEL, "--bucket", `file://${STORE}`], env);
  say(indent(looked.stdout.trim()));

  say("\nphase                          time      outcome");
  for (const phase of phases) {
    say(
      `${phase.ok ? "ok  " : "FAIL"} ${phase.name.padEnd(26)} ${`${(phase.ms / 1000).toFixed(2)} s`.padStart(8)}  ${phase.outcome}`,
    );
  }
  const failed = phases.filter((phase) => !phase.ok);
  say(
    failed.length === 0
      ? "\nDemo passed: the second compile of the same model cost a download, not a compile."
      : `\nDemo FAILED in ${failed.length} phase(s).`,
  );
  return failed.length === 0 ? 0 : 1;
}

// --- helpers ---

async function exec(args: string[], env: NodeJS.ProcessEnv): Promise<{ json: ExecJson; ms: number }> {
  const run = await cli(args, env);
  // The compiler's own output comes first on stdout; neff-cache's JSON document is last.
  const start = run.stdout.lastIndexOf("\n{\n");
  const jsonText = start === -1 ? run.stdout : run.stdout.slice(start + 1);
  const compilerOutput = start === -1 ? "" : run.stdout.slice(0, start);
  say(indent(compilerOutput.trim()));
  const json = JSON.parse(jsonText) as ExecJson;
  for (const warning of json.warnings) say(indent(`warning: ${warning}`));
  return { json, ms: run.ms };
}

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  quiet = false,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin/neff-cache.js"), ...args], {
      env,
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (!quiet && stderr.trim()) say(indent(stderr.trim()));
      if (code !== 0) say(indent(`neff-cache ${args[0]} exited ${code}: ${stderr.trim()}`));
      resolve({ code: code ?? 1, stdout, stderr, ms: performance.now() - started });
    });
  });
}

function count(value: unknown[] | undefined | null): number {
  return value?.length ?? 0;
}

function indent(text: string): string {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => `    ${line}`)
    .join("\n");
}

function say(text: string): void {
  if (text) process.stdout.write(`${text}\n`);
}

process.exitCode = await main();
