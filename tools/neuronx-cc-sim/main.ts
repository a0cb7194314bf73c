import fsp from "node:fs/promises";
import { parseArgs } from "node:util";
import { splitShellWords } from "../../src/layout/split-shell-words.ts";
import { SIM_DEFAULT_COMPILER_VERSION, simulateCompile } from "./simulate-compile.ts";

// Development tool: a stand-in for neuronx-cc that uses the compile cache the same way.
const USAGE =
  'usage: neuronx-cc-sim (--graph FILE | --graph-text STR) [--graphs N] [--flags "..."] [--cache-dir D] [--compiler-version V] [--compile-ms N] [--neff-bytes N] [--fail] [--retry-failed] [--hash-style libneuronxla|nxd] | --version';

async function main(): Promise<number> {
  // "--flags -O1" would read as a missing value to parseArgs; join it as "--flags=-O1".
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === "--flags" && i + 1 < argv.length) {
      args.push(`--flags=${argv[i + 1]}`);
      i += 1;
    } else {
      args.push(argv[i] as string);
    }
  }
  const { values } = parseArgs({
    args,
    options: {
      graph: { type: "string" },
      "graph-text": { type: "string" },
      graphs: { type: "string", default: "1" },
      flags: { type: "string", default: "" },
      "cache-dir": { type: "string" },
      "compiler-version": { type: "string" },
      "compile-ms": { type: "string", default: "0" },
      "neff-bytes": { type: "string", default: "4096" },
      fail: { type: "boolean", default: false },
      "retry-failed": { type: "boolean", default: false },
      retry_failed_compilation: { type: "boolean", default: false },
      "hash-style": { type: "string", default: "libneuronxla" },
      version: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const env = process.env;
  if (values.version) {
    const version =
      values["compiler-version"] ?? env["NEFF_CACHE_COMPILER_VERSION"] ?? SIM_DEFAULT_COMPILER_VERSION;
    process.stdout.write(`NeuronX Compiler version ${version}\n`);
    return 0;
  }
  let graph: Buffer;
  if (values.graph !== undefined) graph = await fsp.readFile(values.graph);
  else if (values["graph-text"] !== undefined) graph = Buffer.from(values["graph-text"]);
  else throw new Error(USAGE);
  const hashStyle = values["hash-style"];
  if (hashStyle !== "libneuronxla" && hashStyle !== "nxd")
    throw new Error("--hash-style must be libneuronxla or nxd");
  const count = Number(values.graphs);
  if (!Number.isInteger(count) || count < 1) throw new Error("--graphs must be a whole number >= 1");
  // A "model" of several graphs: the first is the graph itself, the others are derived from it.
  const graphs = Array.from({ length: count }, (_, i) =>
    i === 0 ? graph : Buffer.concat([graph, Buffer.from(`\n# subgraph ${i}\n`)]),
  );
  const result = await simulateCompile({
    graphs,
    flags: splitShellWords(values.flags),
    cacheDir: values["cache-dir"],
    env,
    compilerVersion: values["compiler-version"],
    compileMs: Number(values["compile-ms"]),
    neffBytes: Number(values["neff-bytes"]),
    fail: values.fail,
    retryFailed: values["retry-failed"] || values.retry_failed_compilation,
    hashStyle,
  });
  for (const module of result.modules) {
    const where = module.path ?? module.name;
    const message = {
      hit: `cache hit: using a cached neff at ${where}`,
      compiled: `compiled: ${where}`,
      "cached-failure": `Got a cached failed neff at ${where}. Will skip compilation, please set --retry_failed_compilation to compile it again`,
      failed: `compilation failed: ${where}`,
      uncached: `compiled without cache: ${where}`,
    }[module.outcome];
    process.stderr.write(`${message}${module.waitedForLock ? " (waited for another compile's lock)" : ""}\n`);
  }
  if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
  return result.exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`neuronx-cc-sim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
