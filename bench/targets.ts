/**
 * The product's performance targets, judged against a run's results. Pure: no I/O.
 * Misses are reported, never thrown: benchmarks inform, tests assert.
 */
import type { BenchResults, TargetResult } from "./results.ts";

/** fetch and sync may take at most this fraction of rclone's time with the same concurrency. */
export const RCLONE_RATIO_LIMIT = 0.8;
/** A warm `exec` may add at most this much to the wrapped command. */
export const EXEC_OVERHEAD_LIMIT_MS = 200;
/** Listing requests a warm `exec` may make per store. */
export const EXEC_LISTINGS_PER_STORE = 1;
export const STATUS_LIMIT_MS = 1000;
export const STATUS_ENTRIES = 10_000;
export const PEAK_RSS_LIMIT_BYTES = 200 * 1000 * 1000;

type Partial = Omit<BenchResults, "targets">;

function verdict(value: number | null, ok: (v: number) => boolean): boolean | null {
  return value === null ? null : ok(value);
}

export function judgeTargets(results: Partial): TargetResult[] {
  const targets: TargetResult[] = [];
  for (const kind of ["fetch", "sync"] as const) {
    for (const set of ["model", "many-small"]) {
      const found = results.comparisons.find((c) => c.id === `${kind}-${set}`);
      const value = found?.ratio ?? null;
      targets.push({
        id: `${kind}-${set}`,
        description: `${kind} (${set}) vs rclone`,
        value,
        unit: "×",
        limit: `≤ ${RCLONE_RATIO_LIMIT.toFixed(2)}×`,
        pass: verdict(value, (v) => v <= RCLONE_RATIO_LIMIT),
      });
    }
  }
  const exec = results.comparisons.find((c) => c.id === "exec-warm");
  const overhead = exec?.differenceMs ?? null;
  targets.push({
    id: "exec-overhead",
    description: "warm exec over bare `true`",
    value: overhead === null ? null : Math.round(overhead),
    unit: "ms",
    limit: `< ${EXEC_OVERHEAD_LIMIT_MS} ms`,
    pass: verdict(overhead, (v) => v < EXEC_OVERHEAD_LIMIT_MS),
  });
  const listings = exec?.candidate.requests ? (exec.candidate.requests.list ?? 0) : null;
  targets.push({
    id: "exec-listings",
    description: "warm exec listing requests (one store)",
    value: listings,
    unit: "",
    limit: `≤ ${EXEC_LISTINGS_PER_STORE}`,
    pass: verdict(listings, (v) => v <= EXEC_LISTINGS_PER_STORE),
    ...(exec?.candidate.requests ? { note: `${exec.candidate.requests.total} requests in all` } : {}),
  });
  const status = results.status?.ms.median ?? null;
  targets.push({
    id: "status",
    description: `status on ${results.status?.entries ?? STATUS_ENTRIES} entries`,
    value: status === null ? null : Math.round(status),
    unit: "ms",
    limit: `< ${STATUS_LIMIT_MS} ms`,
    pass: verdict(status, (v) => v < STATUS_LIMIT_MS),
  });
  for (const label of ["neff-cache fetch", "neff-cache sync"]) {
    const found = results.memory.find((m) => m.label === label);
    const mb = found ? Math.round(found.peakRssBytes / 1e6) : null;
    targets.push({
      id: `rss-${label.split(" ")[1]}`,
      description: `peak RSS, ${label} of a ${found ? Math.round(found.entryBytes / 2 ** 20) : 1024} MiB entry`,
      value: mb,
      unit: "MB",
      limit: `< ${PEAK_RSS_LIMIT_BYTES / 1e6} MB`,
      pass: verdict(found?.peakRssBytes ?? null, (v) => v < PEAK_RSS_LIMIT_BYTES),
    });
  }
  return targets;
}
