/**
 * Runs bucket batch operations (`POST /api/buckets/{ns}/{name}/batch`, NDJSON) in calls of at
 * most 1000 operations, adds before deletes, and re-sends only the operations the server
 * reports as failed.
 */
import { setTimeout as sleepFor } from "node:timers/promises";
import type { HfHttp } from "./hf-http.ts";
import { chunked, encodeBatch, MAX_BATCH_OPERATIONS, parseBatchReport } from "./hf-wire.ts";
import type { ApiBatchOperation } from "./hf-wire.ts";

export interface RunHfBatchOptions {
  http: HfHttp;
  /** `/api/buckets/{ns}/{name}`. */
  apiPath: string;
  signal?: AbortSignal;
  /** Rounds in all, the first included, for operations the server reports as failed. @default 3 */
  maxRounds?: number;
  /** Wait before the second round; doubles each round. @default 500 */
  roundDelayMs?: number;
  /** Operations per call. @default 1000 */
  chunkSize?: number;
}

/** An operation the server still refused after every round, with its last reason. */
export interface HfBatchFailure {
  operation: ApiBatchOperation;
  error: string;
}

/**
 * Applies `operations` and returns those that still failed. Each path must appear at most once:
 * that makes every call idempotent (an `addFile`/`copyFile` with a fixed hash always leaves the
 * same object, a `deleteFile` of an absent path leaves it absent), which is what allows a call
 * that timed out or was reset — and so may have been applied — to be sent again as a whole.
 */
export async function runHfBatch(
  operations: readonly ApiBatchOperation[],
  options: RunHfBatchOptions,
): Promise<HfBatchFailure[]> {
  const maxRounds = options.maxRounds ?? 3;
  const chunkSize = options.chunkSize ?? MAX_BATCH_OPERATIONS;
  const seen = new Set<string>();
  for (const op of operations) {
    if (seen.has(op.path)) throw new Error(`batch lists "${op.path}" twice`);
    seen.add(op.path);
  }
  // Every add and copy goes out before any delete, across calls too.
  let pending = [...operations].sort((a, b) => rank(a) - rank(b));
  let failures: HfBatchFailure[] = [];
  for (let round = 1; round <= maxRounds && pending.length > 0; round++) {
    if (round > 1) {
      await sleepFor((options.roundDelayMs ?? 500) * 2 ** (round - 2), undefined, { signal: options.signal });
    }
    failures = [];
    for (const group of chunked(pending, chunkSize)) {
      options.signal?.throwIfAborted();
      failures.push(...(await sendOnce(group, options)));
    }
    pending = failures.map((failure) => failure.operation);
  }
  return failures;
}

// --- internal ---

function rank(op: ApiBatchOperation): number {
  return op.type === "deleteFile" ? 1 : 0;
}

async function sendOnce(
  group: readonly ApiBatchOperation[],
  options: RunHfBatchOptions,
): Promise<HfBatchFailure[]> {
  const writes = group.filter((op) => op.type !== "deleteFile").length;
  const { status, body } = await options.http.json({
    method: "POST",
    path: `${options.apiPath}/batch`,
    headers: { "Content-Type": "application/x-ndjson" },
    body: encodeBatch(group),
    access: "write",
    action: writes > 0 ? `register ${group.length} file(s)` : `delete ${group.length} file(s)`,
    signal: options.signal,
    expect: [422],
  });
  const report = parseBatchReport(body);
  if (report === null) {
    // A 200 without a report is taken at its word; a 422 without one failed as a whole.
    return status === 422 ? group.map((operation) => ({ operation, error: "HTTP 422" })) : [];
  }
  const byPath = new Map(group.map((op) => [op.path, op]));
  const failures: HfBatchFailure[] = [];
  for (const failed of report.failed) {
    const operation = byPath.get(failed.path);
    if (operation !== undefined) failures.push({ operation, error: failed.error });
  }
  // A refusal that names no path says nothing about which operations were applied: all are re-sent.
  if ((status === 422 || !report.success) && failures.length === 0) {
    return group.map((operation) => ({ operation, error: "HTTP 422" }));
  }
  return failures;
}
