/**
 * Filtering and ordering of export records for `lookup`. Records are optimum-neuron neuron
 * configs, whose key names vary between producers (`tp_degree` or `tensor_parallel_size`,
 * `torch_dtype` or `dtype`, `target` or `instance_type`), so each filter reads every known alias
 * and normalises the values before comparing.
 */
import { PyFloat } from "./py-json.ts";
import type { PyJsonObject, PyJsonValue } from "./py-json.ts";

/** One record found for a model. */
export interface ExportRecordEntry {
  /** The record's store key. */
  key: string;
  /** The `exports/<version>` folder it came from. */
  optimumNeuronVersion: string;
  config: PyJsonObject;
}

/** What the user asked for; every field is optional and only set fields filter. */
export interface LookupFilter {
  batchSize?: number;
  sequenceLength?: number;
  /** Matches `tp_degree` or `tensor_parallel_size`. */
  tpDegree?: number;
  /** `bf16`, `bfloat16`, `torch.bfloat16`, `fp16`, `float16`, … (see `normalizeDtype`). */
  dtype?: string;
  /** A target or instance type: `inf2`, `trn1.32xlarge`, `trn2` … (see `targetFamily`). */
  target?: string;
}

/** Config keys read for each filter, first match wins. */
export const RECORD_FIELD_ALIASES = {
  batchSize: ["batch_size", "static_batch_size"],
  sequenceLength: ["sequence_length", "static_sequence_length"],
  tpDegree: ["tp_degree", "tensor_parallel_size"],
  dtype: ["torch_dtype", "dtype", "float_dtype"],
  target: ["target", "instance_type"],
} as const;

/** A record's values for the filtered fields, normalised; null where the record has none. */
export interface RecordSummary {
  batchSize: number | null;
  sequenceLength: number | null;
  tpDegree: number | null;
  dtype: string | null;
  target: string | null;
}

/** Reads the filtered fields of a config through their aliases. */
export function summarizeRecord(config: PyJsonObject): RecordSummary {
  const dtype = stringField(config, RECORD_FIELD_ALIASES.dtype);
  const target = stringField(config, RECORD_FIELD_ALIASES.target);
  return {
    batchSize: numberField(config, RECORD_FIELD_ALIASES.batchSize),
    sequenceLength: numberField(config, RECORD_FIELD_ALIASES.sequenceLength),
    tpDegree: numberField(config, RECORD_FIELD_ALIASES.tpDegree),
    dtype: dtype === null ? null : normalizeDtype(dtype),
    target: target === null ? null : target,
  };
}

/**
 * One spelling per dtype: `bf16`/`bfloat16`/`torch.bfloat16` → `bfloat16`, `fp16`/`float16`/`half`
 * → `float16`, `fp32`/`float32`/`float` → `float32`; other values are lowercased with any `torch.`
 * prefix removed.
 */
export function normalizeDtype(value: string): string {
  const bare = value
    .trim()
    .toLowerCase()
    .replace(/^torch\./, "");
  return DTYPE_ALIASES[bare] ?? bare;
}

/**
 * The hardware family a target or instance type runs NEFFs for. `inf2`, `trn1` and `trn1n` share
 * NeuronCore-v2, so a NEFF compiled for one loads on the others: they form the family `trn1`.
 * `trn2` (and its `trn2n`/`trn2u` variants) is NeuronCore-v3: family `trn2`. An instance size is
 * dropped (`trn1.32xlarge` → `trn1`). Anything else is its own family, compared lowercased.
 */
export function targetFamily(value: string): string {
  const base = value.trim().toLowerCase().split(".")[0] ?? "";
  if (base === "inf2" || base === "trn1" || base === "trn1n") return "trn1";
  if (/^trn2[a-z]?$/.test(base)) return "trn2";
  return base;
}

/** True when the record satisfies every set field of the filter (a record missing a field fails it). */
export function matchesLookupFilter(config: PyJsonObject, filter: LookupFilter): boolean {
  const summary = summarizeRecord(config);
  if (filter.batchSize !== undefined && summary.batchSize !== filter.batchSize) return false;
  if (filter.sequenceLength !== undefined && summary.sequenceLength !== filter.sequenceLength) return false;
  if (filter.tpDegree !== undefined && summary.tpDegree !== filter.tpDegree) return false;
  if (filter.dtype !== undefined && summary.dtype !== normalizeDtype(filter.dtype)) return false;
  if (filter.target !== undefined) {
    if (summary.target === null || targetFamily(summary.target) !== targetFamily(filter.target)) return false;
  }
  return true;
}

/**
 * Keeps the records matching `filter`, newest optimum-neuron version first, then by batch size,
 * sequence length and tensor-parallel degree ascending (missing values last), then by key so the
 * order is total.
 */
export function filterExportRecords<T extends ExportRecordEntry>(
  records: readonly T[],
  filter: LookupFilter,
): T[] {
  const kept = records.filter((record) => matchesLookupFilter(record.config, filter));
  const summaries = new Map(kept.map((record) => [record, summarizeRecord(record.config)]));
  return kept.sort((a, b) => {
    const byVersion = compareVersions(b.optimumNeuronVersion, a.optimumNeuronVersion);
    if (byVersion !== 0) return byVersion;
    const sa = summaries.get(a) as RecordSummary;
    const sb = summaries.get(b) as RecordSummary;
    return (
      compareNullable(sa.batchSize, sb.batchSize) ||
      compareNullable(sa.sequenceLength, sb.sequenceLength) ||
      compareNullable(sa.tpDegree, sb.tpDegree) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    );
  });
}

/**
 * Orders PEP 440-style versions: release numbers numerically, then `.devN` < `aN` < `bN` < `rcN`
 * < final < `.postN`; a `+local` part orders after the same public version. Returns <0, 0 or >0.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  const length = Math.max(pa.release.length, pb.release.length);
  for (let i = 0; i < length; i++) {
    const diff = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (diff !== 0) return diff;
  }
  for (let i = 0; i < pa.rank.length; i++) {
    const diff = (pa.rank[i] ?? 0) - (pb.rank[i] ?? 0);
    if (diff !== 0) return diff;
  }
  if (pa.local !== pb.local) return pa.local < pb.local ? -1 : 1;
  return 0;
}

// --- internal ---

const DTYPE_ALIASES: Readonly<Record<string, string>> = {
  bf16: "bfloat16",
  bfloat16: "bfloat16",
  fp16: "float16",
  f16: "float16",
  float16: "float16",
  half: "float16",
  fp32: "float32",
  f32: "float32",
  float32: "float32",
  float: "float32",
};

function numberValue(value: PyJsonValue | undefined): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof PyFloat) return value.value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

function numberField(config: PyJsonObject, keys: readonly string[]): number | null {
  for (const key of keys) {
    if (!Object.hasOwn(config, key)) continue;
    const value = numberValue(config[key]);
    if (value !== null) return value;
  }
  return null;
}

function stringField(config: PyJsonObject, keys: readonly string[]): string | null {
  for (const key of keys) {
    const value = Object.hasOwn(config, key) ? config[key] : undefined;
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return null;
}

function compareNullable(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

interface ParsedVersion {
  release: number[];
  /** [phase, phase number, post, dev phase, dev number]: compared element by element. */
  rank: number[];
  local: string;
}

const PRE_PHASES: Readonly<Record<string, number>> = {
  a: 1,
  alpha: 1,
  b: 2,
  beta: 2,
  c: 3,
  rc: 3,
  pre: 3,
  preview: 3,
};

function parseVersion(text: string): ParsedVersion {
  const [publicPart = "", local = ""] = text.trim().toLowerCase().replace(/^v/, "").split("+", 2);
  const match =
    /^(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?$/.exec(
      publicPart,
    );
  if (match === null) return { release: [], rank: [0, 0, -1, 1, 0], local: text };
  const [, release = "0", pre, preNumber, post, dev] = match;
  const hasPost = post !== undefined;
  // A bare .devN (no pre, no post) sorts before every pre-release of the same release.
  const phase = pre !== undefined ? (PRE_PHASES[pre] ?? 3) : dev !== undefined && !hasPost ? 0 : 4;
  return {
    release: release.split(".").map(Number),
    rank: [
      phase,
      Number(preNumber || 0),
      hasPost ? Number(post || 0) : -1,
      dev !== undefined ? 0 : 1,
      Number(dev || 0),
    ],
    local,
  };
}
