/**
 * The benchmark's data sets: how many entries and which file sizes. Pure and deterministic:
 * the same spec and seed always plan the same names and sizes.
 */

/** One file of a planned entry. */
export interface PlannedFile {
  name: string;
  size: number;
}

/** One `MODULE_<graph>+<flags>` entry in the success state. */
export interface PlannedEntry {
  name: string;
  files: PlannedFile[];
}

export interface PlannedSet {
  name: string;
  entries: PlannedEntry[];
  /** Number of files over all entries (= objects per area in a store). */
  files: number;
  bytes: number;
}

/** Bounds of a log-uniform size draw, in bytes. */
type SizeRange = readonly [min: number, max: number];

export interface SetSpec {
  name: string;
  entries: number;
  hlo: SizeRange;
  neff: SizeRange;
  flags: SizeRange;
  /** When set, every size is scaled so that the set's total lands on this many bytes. */
  targetBytes?: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * ~50 entries of one model with the spread seen in public Neuron caches (HLO modules from
 * tens of kB to tens of MB, NEFFs from half a MB to ~16 MB), scaled to ~256 MiB.
 */
export const MODEL_SET: SetSpec = {
  name: "model",
  entries: 50,
  hlo: [63 * KiB, 40 * MiB],
  neff: [480 * KiB, 16 * MiB],
  flags: [41, 400],
  targetBytes: 256 * MiB,
};

/** ~1,000 entries of small files (~4,000 objects): a cache dominated by per-request cost. */
export const MANY_SMALL_SET: SetSpec = {
  name: "many-small",
  entries: 1000,
  hlo: [1 * KiB, 24 * KiB],
  neff: [2 * KiB, 48 * KiB],
  flags: [41, 400],
};

/** One entry whose NEFF is 1 GiB: the memory bound of streaming transfers. */
export const HUGE_ENTRY_SET: SetSpec = {
  name: "huge-entry",
  entries: 1,
  hlo: [64 * KiB, 64 * KiB],
  neff: [1024 * MiB, 1024 * MiB],
  flags: [41, 41],
};

/** The same shapes, small enough for a smoke run of the harness. */
export function quickSpec(spec: SetSpec): SetSpec {
  const entries = Math.max(1, Math.ceil(spec.entries / 10));
  const scaled = spec.targetBytes === undefined ? undefined : Math.ceil(spec.targetBytes / 10);
  if (spec === HUGE_ENTRY_SET) return { ...spec, neff: [64 * MiB, 64 * MiB] };
  return { ...spec, entries, ...(scaled === undefined ? {} : { targetBytes: scaled }) };
}

/** mulberry32: a tiny seeded PRNG, enough for reproducible names and sizes. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logUniform(random: () => number, [min, max]: SizeRange): number {
  if (min === max) return min;
  return Math.round(Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))));
}

function hex(random: () => number, length: number): string {
  let out = "";
  while (out.length < length) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** Plans the entries of a set: names like the NxD compiler's, files of a successful compile. */
export function planSet(spec: SetSpec, seed: number): PlannedSet {
  const random = createRandom(seed);
  const names = new Set<string>();
  const entries: PlannedEntry[] = [];
  while (entries.length < spec.entries) {
    const name = `MODULE_${hex(random, 20)}+${hex(random, 8)}`;
    if (names.has(name)) continue;
    names.add(name);
    entries.push({
      name,
      files: [
        { name: "compile_flags.json", size: logUniform(random, spec.flags) },
        { name: "model.done", size: 0 },
        { name: "model.hlo_module.pb", size: logUniform(random, spec.hlo) },
        { name: "model.neff", size: logUniform(random, spec.neff) },
      ],
    });
  }
  if (spec.targetBytes !== undefined) {
    const raw = entries.reduce((sum, e) => sum + e.files.reduce((s, f) => s + f.size, 0), 0);
    const factor = spec.targetBytes / raw;
    for (const entry of entries) {
      for (const file of entry.files) {
        // Flags files stay small: they are JSON lists of compiler options, whatever the model.
        if (file.size > 0 && file.name !== "compile_flags.json") {
          file.size = Math.max(1, Math.round(file.size * factor));
        }
      }
    }
  }
  let files = 0;
  let bytes = 0;
  for (const entry of entries) {
    files += entry.files.length;
    for (const file of entry.files) bytes += file.size;
  }
  return { name: spec.name, entries, files, bytes };
}
