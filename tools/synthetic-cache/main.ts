import { parseArgs } from "node:util";
import { generateSyntheticCache, type SyntheticProfile } from "./generate-synthetic-cache.ts";

// Development tool: writes a synthetic Neuron compile cache and prints what it made as JSON.
const USAGE =
  "usage: synthetic-cache --dir D --compiler-version V [--success N] [--failed N] [--locked N] [--empty N] [--profile small|model] [--seed S] [--sparse]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dir: { type: "string" },
      "compiler-version": { type: "string" },
      success: { type: "string", default: "0" },
      failed: { type: "string", default: "0" },
      locked: { type: "string", default: "0" },
      empty: { type: "string", default: "0" },
      profile: { type: "string", default: "model" },
      seed: { type: "string", default: "0" },
      sparse: { type: "boolean", default: false },
      "entries-list": { type: "boolean", default: false },
    },
  });
  const count = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${value}`);
    return n;
  };
  if (!values.dir || !values["compiler-version"]) throw new Error(USAGE);
  if (values.profile !== "small" && values.profile !== "model")
    throw new Error("--profile must be small or model");
  const result = await generateSyntheticCache({
    dir: values.dir,
    compilerVersion: values["compiler-version"],
    success: count("success", values.success),
    failed: count("failed", values.failed),
    locked: count("locked", values.locked),
    empty: count("empty", values.empty),
    profile: values.profile as SyntheticProfile,
    seed: values.seed,
    sparse: values.sparse,
  });
  const { entries, ...summary } = result;
  process.stdout.write(
    JSON.stringify(values["entries-list"] ? result : { ...summary, entryCount: entries.length }, null, 2) +
      "\n",
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`synthetic-cache: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
