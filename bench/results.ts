/**
 * The shape of a benchmark run's results, as written to `bench/results/latest.json`.
 */
import type { InFlight, RequestCounts } from "./counting-proxy.ts";
import type { Samples } from "./stats.ts";
import type { ProfileSummary } from "./summarize-cpu-profile.ts";

/** One side of a comparison, in milliseconds. */
export interface MeasuredSide {
  label: string;
  ms: Samples;
  /** Requests of one extra, untimed run through the counting proxy. */
  requests?: RequestCounts;
  /** Requests open at once during that run. */
  inFlight?: InFlight;
  /** CPU time and peak memory of that same extra run (user + system, all its processes). */
  usage?: { cpuMs: number; peakRssBytes: number };
}

/** neff-cache against a reference doing the same work, alternated run by run. */
export interface Comparison {
  id: string;
  title: string;
  /** The data set's name, when the comparison moves one. */
  set?: string;
  /** "ratio": both sides do the same job, compare the ratio; "overhead": compare the difference. */
  judgedBy: "ratio" | "overhead";
  candidate: MeasuredSide;
  reference: MeasuredSide;
  /** candidate median / reference median: below 1.0 means neff-cache is faster. */
  ratio: number;
  /** candidate median − reference median, in milliseconds. */
  differenceMs: number;
  /** With `--profile`: where one more candidate run's CPU profile is, and its hot spots. */
  profile?: ProfileSummary & { file: string };
}

export interface MemoryResult {
  /** What ran, e.g. "neff-cache sync" or "rclone copy (upload)". */
  label: string;
  peakRssBytes: number;
  ms: number;
  /** Size of the entry moved. */
  entryBytes: number;
}

export interface StatusResult {
  entries: number;
  ms: Samples;
  reference?: { label: string; ms: Samples };
}

export interface SetDescription {
  name: string;
  entries: number;
  files: number;
  bytes: number;
}

export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  platform: string;
  node: string;
  rclone: string;
  aws: string;
  neffCacheCommit: string;
  /** 1-minute load average when the run started and when it ended: other work skews timings. */
  loadAverage: { start: number; end: number };
}

export interface TargetResult {
  id: string;
  description: string;
  /** The measured value, in `unit`. */
  value: number | null;
  unit: string;
  limit: string;
  pass: boolean | null;
  note?: string;
}

export interface BenchResults {
  date: string;
  quick: boolean;
  runs: number;
  execRuns: number;
  /** Parallel transfers used by both neff-cache and rclone, per operation. */
  concurrency: { fetch: number; sync: number };
  machine: MachineDescription;
  sets: SetDescription[];
  comparisons: Comparison[];
  memory: MemoryResult[];
  status: StatusResult | null;
  /** Sections that did not run, and why. */
  skipped: { section: string; reason: string }[];
  targets: TargetResult[];
}
