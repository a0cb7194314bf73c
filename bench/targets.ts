/**
 * The product's performance targets, judged against a run's results. Pure: no I/O.
 * Misses are reported, never thrown: benchmarks inform, tests assert.
 */
import type { BenchResults, TargetResult } from "./results.ts";

/** fetch and sync may take at most this fraction of rclone's time with the same concurrency. */
export const RCLONE_RATIO_LIMIT = 0.8;
/** Issue 11: a warm `exec` may add at most this much to Node's own start-up (`node -e 0`). */
export const EXEC_OVERHEAD_LIMIT_MS = 40;
/** Listing requests a warm `exec` may make per store. */
export const EXEC_LISTINGS_PER_STORE = 1;
/** Issue 11: `status` may take at most this multiple of `du -s` over the same tree. */
export const STATUS_DU_RATIO_LIMIT = 2;
export const STATUS_ENTRIES = 100_000;
/** Issue 11: a directory-store fetch, verification included, may take at most this multiple of `cp -r`. */
export const DIR_FETCH_CP_RATIO_LIMIT = 1.5;
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
  for (const set of ["model", "many-small"]) {
    const found = results.comparisons.find((c) => c.id === `dir-fetch-${set}`);
    const value = found?.ratio ?? null;
    targets.push({
      id: `dir-fetch-${set}`,
      description: `fetch (${set}, directory store) vs cp -r`,
      value,
      unit: "×",
      limit: `≤ ${DIR_FETCH_CP_RATIO_LIMIT.toFixed(2)}×`,
      pass: verdict(value, (v) => v <= DIR_FETCH_CP_RATIO_LIMIT),
    });
  }
  // One target per warm-exec comparison (one per store and model shape: ids start "exec-warm").
  for (const found of results.comparisons.filter((c) => c.id.startsWith("exec-warm"))) {
    const overhead = found.differenceMs;
    targets.push({
      id: found.id.replace("exec-warm", "exec-overhead"),
      description: `${found.title}: over \`node -e 0\``,
      value: Math.round(overhead),
      unit: "ms",
      limit: `≤ ${EXEC_OVERHEAD_LIMIT_MS} ms`,
      pass: overhead <= EXEC_OVERHEAD_LIMIT_MS,
    });
  }
  if (!results.comparisons.some((c) => c.id.startsWith("exec-warm"))) {
    targets.push({
      id: "exec-overhead",
      description: "warm exec over `node -e 0`",
      value: null,
      unit: "ms",
      limit: `≤ ${EXEC_OVERHEAD_LIMIT_MS} ms`,
      pass: null,
    });
  }
  const exec = results.comparisons.find((c) => c.id === "exec-warm");
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
  // The hf store's warm exec, counted at its Hub: one tree listing per store, whatever the set.
  for (const found of results.comparisons.filter((c) => c.id.startsWith("exec-warm-hf-"))) {
    const requests = found.candidate.requests;
    const value = requests ? (requests.list ?? 0) : null;
    targets.push({
      id: found.id.replace("exec-warm", "exec-listings"),
      description: `warm exec listing requests (hf store, ${found.set ?? found.id.slice("exec-warm-hf-".length)})`,
      value,
      unit: "",
      limit: `≤ ${EXEC_LISTINGS_PER_STORE}`,
      pass: verdict(value, (v) => v <= EXEC_LISTINGS_PER_STORE),
      ...(requests ? { note: `${requests.total} Hub requests in all` } : {}),
    });
  }
  const status = results.status;
  const du = status?.reference?.ms.median ?? 0;
  const statusRatio = status && du > 0 ? status.ms.median / du : null;
  targets.push({
    id: "status",
    description: `status on ${status?.entries ?? STATUS_ENTRIES} entries vs du -s`,
    value: statusRatio === null ? null : Math.round(statusRatio * 100) / 100,
    unit: "×",
    limit: `≤ ${STATUS_DU_RATIO_LIMIT.toFixed(2)}×`,
    pass: verdict(statusRatio, (v) => v <= STATUS_DU_RATIO_LIMIT),
    ...(status ? { note: `${Math.round(status.ms.median)} ms vs du -s ${Math.round(du)} ms` } : {}),
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
