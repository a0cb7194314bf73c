/**
 * How far a cached export configuration is from a requested one: the fields that differ, read
 * through the same aliases and normalisation as `lookup`'s filters (`tp_degree` is
 * `tensor_parallel_size`, `bf16` is `bfloat16`, `inf2` and `trn1` are one family), so a user can
 * pick a configuration that is cached. Pure.
 */
import { RECORD_FIELD_ALIASES, summarizeRecord, targetFamily } from "./lookup-filter.ts";
import type { RecordSummary } from "./lookup-filter.ts";
import { compareCodePoints, pyJsonDumps } from "./py-json.ts";
import type { PyJsonObject, PyJsonValue } from "./py-json.ts";

/** One field whose value differs; a side without the field shows null. */
export interface ConfigDifference {
  /** The key as the requested config spells it (else as the cached one does). */
  field: string;
  requested: string | null;
  cached: string | null;
}

/** A cached configuration with how it differs from the requested one. */
export type RankedConfig<T> = T & { differences: ConfigDifference[] };

/**
 * The fields where `cached` differs from `requested`: the lookup fields first (batch size,
 * sequence length, tensor-parallel degree, dtype, target family), then every other key by name,
 * compared by value (as Python's JSON writes it).
 */
export function configDifferences(requested: PyJsonObject, cached: PyJsonObject): ConfigDifference[] {
  const differences: ConfigDifference[] = [];
  const mine = summarizeRecord(requested);
  const theirs = summarizeRecord(cached);
  const aliased = new Set<string>();
  for (const [name, aliases] of Object.entries(RECORD_FIELD_ALIASES) as Array<
    [keyof RecordSummary, readonly string[]]
  >) {
    for (const alias of aliases) aliased.add(alias);
    const a = mine[name];
    const b = theirs[name];
    const same =
      name === "target" && a !== null && b !== null
        ? targetFamily(String(a)) === targetFamily(String(b))
        : a === b;
    if (same) continue;
    const field =
      aliases.find((alias) => Object.hasOwn(requested, alias)) ??
      aliases.find((alias) => Object.hasOwn(cached, alias)) ??
      (aliases[0] as string);
    differences.push({
      field,
      requested: a === null ? null : String(a),
      cached: b === null ? null : String(b),
    });
  }
  const others = [...new Set([...Object.keys(requested), ...Object.keys(cached)])]
    .filter((key) => !aliased.has(key))
    .sort(compareCodePoints);
  for (const key of others) {
    const a = Object.hasOwn(requested, key) ? render(requested[key]) : null;
    const b = Object.hasOwn(cached, key) ? render(cached[key]) : null;
    if (a !== b) differences.push({ field: key, requested: a, cached: b });
  }
  return differences;
}

/**
 * Ranks cached configurations by closeness: fewest differing fields first; ties keep the given
 * order (lookup's: newest optimum-neuron version first).
 */
export function rankNearestConfigs<T extends { config: PyJsonObject }>(
  requested: PyJsonObject,
  cached: readonly T[],
): Array<RankedConfig<T>> {
  return cached
    .map((record, index) => ({ record, index, differences: configDifferences(requested, record.config) }))
    .sort((a, b) => a.differences.length - b.differences.length || a.index - b.index)
    .map(({ record, differences }) => ({ ...record, differences }));
}

function render(value: PyJsonValue | undefined): string | null {
  if (value === undefined) return null;
  return typeof value === "string" ? value : pyJsonDumps(value, { sortKeys: true, compact: true });
}
