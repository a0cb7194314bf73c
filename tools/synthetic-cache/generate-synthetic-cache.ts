import fsp from "node:fs/promises";
import path from "node:path";
import { ENTRY_STATES, type EntryState } from "../../src/layout/classify-entry.ts";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { forEachConcurrent } from "../../src/local/for-each-concurrent.ts";
import { createRandom, deterministicBytes } from "./deterministic-bytes.ts";

/** Size mixes: `model` looks like a real decoder model's cache; `small` makes many tiny entries quickly. */
export type SyntheticProfile = "model" | "small";

export interface SyntheticSizes {
  neff: [min: number, max: number];
  hlo: [min: number, max: number];
  log: [min: number, max: number];
}

const KIB = 1024;
const MIB = 1024 * KIB;

/** Built-in size ranges (bytes, drawn log-uniformly). */
export const SYNTHETIC_PROFILES: Readonly<Record<SyntheticProfile, SyntheticSizes>> = {
  model: { neff: [MIB / 2, 16 * MIB], hlo: [64 * KIB, 2 * MIB], log: [512, 8 * KIB] },
  small: { neff: [KIB, 8 * KIB], hlo: [256, 2 * KIB], log: [128, KIB] },
};

export interface GenerateSyntheticCacheOptions {
  /** Cache root; created when missing. */
  dir: string;
  /** Compiler version (without `neuronxcc-`). */
  compilerVersion: string;
  success?: number;
  failed?: number;
  locked?: number;
  empty?: number;
  /** Seed; the same seed gives the same names, sizes and bytes. Default "0". */
  seed?: string;
  /** Size mix. Default "model". */
  profile?: SyntheticProfile;
  /** Overrides the profile's ranges. */
  sizes?: Partial<SyntheticSizes>;
  /** Make NEFF and HLO files sparse (right size, no data written): fast for large trees. */
  sparse?: boolean;
  /** Entries written in parallel. Default 16. */
  concurrency?: number;
}

/** One generated entry. */
export interface SyntheticEntry {
  name: string;
  state: EntryState;
  sizeBytes: number;
  /** File name → size. */
  files: Record<string, number>;
}

/** What the generator made. */
export interface SyntheticCacheResult {
  dir: string;
  versionDir: string;
  entries: SyntheticEntry[];
  counts: Record<EntryState, number>;
  sizes: Record<EntryState, number>;
  totalBytes: number;
}

const FLAG_SETS = [
  ["--model-type=transformer", "-O1"],
  ["--model-type=transformer", "--auto-cast=none", "-O2"],
  ["--enable-saturate-infinity"],
  ["--model-type=transformer", "--distribution-strategy=llm-training"],
];

/**
 * Writes a realistic compile cache: `success` complete entries, `failed` ones with a
 * `model.log`, `locked` ones with a lock file, `empty` ones with only the HLO, all under
 * `neuronxcc-<compilerVersion>/`, with names, sizes and bytes determined by the seed.
 */
export async function generateSyntheticCache(
  options: GenerateSyntheticCacheOptions,
): Promise<SyntheticCacheResult> {
  const seed = options.seed ?? "0";
  const random = createRandom(`${seed}:${options.compilerVersion}`);
  const ranges = { ...SYNTHETIC_PROFILES[options.profile ?? "model"], ...options.sizes };
  const versionDir = compilerVersionDir(options.compilerVersion);
  const root = path.join(options.dir, versionDir);
  await fsp.mkdir(root, { recursive: true });

  const hex = (length: number): string => {
    let out = "";
    while (out.length < length) out += Math.floor(random() * 16).toString(16);
    return out;
  };
  const pick = ([min, max]: [number, number]): number =>
    Math.round(
      Math.exp(
        Math.log(Math.max(1, min)) + random() * (Math.log(Math.max(1, max)) - Math.log(Math.max(1, min))),
      ),
    );

  const plan: { name: string; state: EntryState; files: Record<string, number | string> }[] = [];
  const names = new Set<string>();
  for (const state of ENTRY_STATES) {
    const count = options[state] ?? 0;
    for (let i = 0; i < count; i += 1) {
      let name: string;
      do name = `MODULE_${hex(20)}+${hex(8)}`;
      while (names.has(name));
      names.add(name);
      const flags = FLAG_SETS[Math.floor(random() * FLAG_SETS.length)] as string[];
      const flagsJson = `[${flags.map((flag) => JSON.stringify(flag)).join(", ")}]`;
      const files: Record<string, number | string> = { "model.hlo_module.pb": pick(ranges.hlo) };
      if (state === "success") {
        files["compile_flags.json"] = flagsJson;
        files["model.neff"] = pick(ranges.neff);
        files["model.done"] = "";
      } else if (state === "failed") {
        files["compile_flags.json"] = flagsJson;
        files["model.log"] = pick(ranges.log);
      } else if (state === "locked") {
        files["model.hlo_module.pb.lock"] = "";
      }
      plan.push({ name, state, files });
    }
  }

  const result: SyntheticCacheResult = {
    dir: options.dir,
    versionDir,
    entries: [],
    counts: { success: 0, failed: 0, locked: 0, empty: 0 },
    sizes: { success: 0, failed: 0, locked: 0, empty: 0 },
    totalBytes: 0,
  };
  for (const item of plan) {
    const files: Record<string, number> = {};
    for (const [file, content] of Object.entries(item.files)) {
      files[file] = typeof content === "string" ? Buffer.byteLength(content) : content;
    }
    const sizeBytes = Object.values(files).reduce((a, b) => a + b, 0);
    result.entries.push({ name: item.name, state: item.state, sizeBytes, files });
    result.counts[item.state] += 1;
    result.sizes[item.state] += sizeBytes;
    result.totalBytes += sizeBytes;
  }

  await forEachConcurrent(plan, options.concurrency ?? 16, async (item) => {
    const entryDir = path.join(root, item.name);
    await fsp.mkdir(entryDir, { recursive: true });
    for (const [file, content] of Object.entries(item.files)) {
      const target = path.join(entryDir, file);
      if (typeof content === "string") {
        await fsp.writeFile(target, content);
      } else if (file === "model.log") {
        await fsp.writeFile(target, logText(item.name, content));
      } else if (options.sparse) {
        const handle = await fsp.open(target, "w");
        try {
          await handle.truncate(content);
        } finally {
          await handle.close();
        }
      } else {
        await fsp.writeFile(target, deterministicBytes(`${seed}/${item.name}/${file}`, content));
      }
    }
  });
  return result;
}

function logText(name: string, length: number): string {
  const line = `ERROR: compilation of ${name} failed: internal compiler error (synthetic)\n`;
  return line.repeat(Math.ceil(length / line.length)).slice(0, length);
}
