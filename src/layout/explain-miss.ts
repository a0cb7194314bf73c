/**
 * Why the cache did not serve a compile: the compiled entry's key (graph hash + flags hash,
 * compiler version, model and task) against what the store holds for the model. Pure: the
 * store's facts come in (see `scanStoreModel`), reasons come out, most specific first.
 */
import type { EntryState } from "./classify-entry.ts";
import { diffFlags, splitModuleName } from "./key-factors.ts";
import type { ConfigDifference } from "./nearest-config.ts";
import { rankNearestConfigs } from "./nearest-config.ts";
import type { PyJsonObject } from "./py-json.ts";

/** How many nearest configurations a miss names. */
export const NEAREST_CONFIGS_SHOWN = 3;

/** One entry the store holds in the model's area (or, without a model, in the flat area). */
export interface StoreEntryFacts {
  compilerVersion: string;
  /** The task area it was listed in; null for the flat area. */
  task: string | null;
  module: string;
  /** By the compiler's rule, from the listed file names. */
  state: EntryState;
  /** From the manifest's key factors, else the store's `compile_flags.json`; null when not read or unknown. */
  compileFlags: string[] | null;
  /** sha256 of its `model.hlo_module.pb` from the manifest; null without one. */
  graphSha256: string | null;
  /** The export configuration it was compiled for (manifest key factor); null when unknown. */
  exportConfigHash: string | null;
  /** Why a fetch cannot use it even though it looks complete (a bad manifest, a missing file); null when none is known. */
  problem: string | null;
}

/** An export record of the model. */
export interface StoreRecordFacts {
  compilerVersion: string;
  task: string;
  optimumNeuronVersion: string;
  hash: string;
  key: string;
  config: PyJsonObject;
}

/** What the store holds for one model (every compiler version and task), or for one flat area. */
export interface StoreFacts {
  entries: readonly StoreEntryFacts[];
  records: readonly StoreRecordFacts[];
}

/** What the run wanted: the compiler version, and the model and task whose area fetch reads. */
export interface MissTarget {
  compilerVersion: string;
  /** Null when no model was named (then the flat area was compared). */
  modelId: string | null;
  task: string | null;
  /** The export configuration of the run (`--config`), when known. */
  exportConfig?: PyJsonObject;
  /** Its record hash. */
  exportConfigHash?: string;
}

/** One entry the command compiled rather than fetched. */
export interface CompiledEntry {
  module: string;
  /** Its `compile_flags.json`, when readable. */
  compileFlags: string[] | null;
  /** sha256 of its `model.hlo_module.pb`, when read. */
  graphSha256: string | null;
  /** What the fetch said about the store's copy (failed to verify, not complete…), when it said anything. */
  fetchProblem: string | null;
}

export interface NearestConfig {
  key: string;
  compilerVersion: string;
  task: string;
  optimumNeuronVersion: string;
  differences: ConfigDifference[];
}

/** Why one entry was compiled; the kinds in the order they are tried, most specific first. */
export type MissReason =
  /** The store holds this very entry, but the fetch could not use it. */
  | { kind: "store-entry-unusable"; detail: string }
  /** The store holds this very entry complete now: it came after the fetch, or no fetch ran. */
  | { kind: "cached-since"; detail: string }
  /** The same graph is cached with other flags. */
  | {
      kind: "other-flags";
      cachedModule: string;
      /** Flags this compile has that the cached entry lacks (null when either side's flags are unknown). */
      added: string[] | null;
      removed: string[] | null;
      cachedFlags: string[] | null;
      compileFlags: string[] | null;
    }
  /** This very entry is cached for other compiler versions. */
  | { kind: "other-compiler-version"; compilerVersions: string[] }
  /** The model and task have entries for this compiler, none for this graph. */
  | {
      kind: "other-graph";
      entries: number;
      /** Export configurations the cached entries were compiled for (manifest key factors). */
      cachedConfigHashes: string[];
      /** The nearest cached export configurations, with `--config` only. */
      nearest: NearestConfig[];
    }
  /** Nothing is cached for this model, task and compiler; what is cached instead. */
  | { kind: "nothing-cached"; otherTasks: string[]; otherCompilerVersions: string[] };

export interface MissExplanation {
  module: string;
  /** Never empty; the first is the main reason. */
  reasons: MissReason[];
}

/** Explains each compiled entry against the store's facts. */
export function explainMisses(
  misses: readonly CompiledEntry[],
  facts: StoreFacts,
  target: MissTarget,
): MissExplanation[] {
  return misses.map((miss) => ({ module: miss.module, reasons: missReasons(miss, facts, target) }));
}

function missReasons(miss: CompiledEntry, facts: StoreFacts, target: MissTarget): MissReason[] {
  const reasons: MissReason[] = [];
  const here = facts.entries.filter(
    (entry) => entry.compilerVersion === target.compilerVersion && entry.task === target.task,
  );
  const exact = here.find((entry) => entry.module === miss.module);
  if (miss.fetchProblem !== null) {
    reasons.push({ kind: "store-entry-unusable", detail: miss.fetchProblem });
  } else if (exact && exact.state !== "success") {
    reasons.push({
      kind: "store-entry-unusable",
      detail: `the store's copy is ${describeState(exact.state)}`,
    });
  } else if (exact && exact.problem !== null) {
    reasons.push({ kind: "store-entry-unusable", detail: exact.problem });
  } else if (exact) {
    reasons.push({
      kind: "cached-since",
      detail: "the store holds it complete now: it was published after the fetch, or the fetch did not run",
    });
  }

  const { graphHash, flagsHash } = splitModuleName(miss.module);
  const sameGraph = here
    .filter((entry) => entry.module !== miss.module && entry.state === "success")
    .filter((entry) => {
      const theirs = splitModuleName(entry.module);
      // Producers that mix the flags into the graph hash too (NxD) still share the HLO bytes.
      const sameHlo = miss.graphSha256 !== null && entry.graphSha256 === miss.graphSha256;
      return sameHlo || (flagsHash !== null && theirs.flagsHash !== null && theirs.graphHash === graphHash);
    });
  if (sameGraph.length > 0) {
    const ranked = sameGraph
      .map((entry) => {
        const diff =
          miss.compileFlags !== null && entry.compileFlags !== null
            ? diffFlags(miss.compileFlags, entry.compileFlags)
            : null;
        return { entry, diff, size: diff === null ? Infinity : diff.added.length + diff.removed.length };
      })
      .sort((a, b) => a.size - b.size || compare(a.entry.module, b.entry.module));
    const best = ranked[0];
    if (best) {
      reasons.push({
        kind: "other-flags",
        cachedModule: best.entry.module,
        added: best.diff?.added ?? null,
        removed: best.diff?.removed ?? null,
        cachedFlags: best.entry.compileFlags,
        compileFlags: miss.compileFlags,
      });
    }
  }

  const otherVersions = unique(
    facts.entries
      .filter(
        (entry) =>
          entry.module === miss.module &&
          entry.compilerVersion !== target.compilerVersion &&
          entry.state === "success",
      )
      .map((entry) => entry.compilerVersion),
  );
  if (otherVersions.length > 0)
    reasons.push({ kind: "other-compiler-version", compilerVersions: otherVersions });

  if (here.length > 0 && sameGraph.length === 0 && !exact) {
    reasons.push({
      kind: "other-graph",
      entries: here.length,
      cachedConfigHashes: unique(
        here.flatMap((entry) => (entry.exportConfigHash === null ? [] : [entry.exportConfigHash])),
      ).filter((hash) => hash !== target.exportConfigHash),
      nearest: nearestConfigs(facts, target),
    });
  } else if (here.length === 0) {
    const thisVersion = facts.entries.filter((entry) => entry.compilerVersion === target.compilerVersion);
    const recordsOfVersion = facts.records.filter(
      (record) => record.compilerVersion === target.compilerVersion,
    );
    reasons.push({
      kind: "nothing-cached",
      otherTasks: unique([
        ...thisVersion.flatMap((entry) => (entry.task === null ? [] : [entry.task])),
        ...recordsOfVersion.map((record) => record.task),
      ]).filter((task) => task !== target.task),
      otherCompilerVersions: unique([
        ...facts.entries.map((entry) => entry.compilerVersion),
        ...facts.records.map((record) => record.compilerVersion),
      ]).filter((version) => version !== target.compilerVersion),
    });
  }
  return reasons;
}

/** The records nearest to the run's configuration, those of its compiler version and task first. */
function nearestConfigs(facts: StoreFacts, target: MissTarget): NearestConfig[] {
  if (target.exportConfig === undefined) return [];
  const own = (record: StoreRecordFacts): number =>
    (record.compilerVersion === target.compilerVersion ? 0 : 2) + (record.task === target.task ? 0 : 1);
  const ordered = [...facts.records].sort((a, b) => own(a) - own(b));
  return rankNearestConfigs(target.exportConfig, ordered)
    .filter((record) => record.hash !== target.exportConfigHash || record.differences.length > 0)
    .slice(0, NEAREST_CONFIGS_SHOWN)
    .map((record) => ({
      key: record.key,
      compilerVersion: record.compilerVersion,
      task: record.task,
      optimumNeuronVersion: record.optimumNeuronVersion,
      differences: record.differences,
    }));
}

function describeState(state: EntryState): string {
  return state === "failed"
    ? "a failed compile (model.log, no NEFF)"
    : state === "locked"
      ? "half-written (a lock file, no NEFF and done marker)"
      : "incomplete (no NEFF and done marker)";
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
