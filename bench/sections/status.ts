/**
 * status on 10,000 entries: measured by `bench/status-bench.ts`, which owns that benchmark.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { BenchContext } from "../context.ts";
import type { StatusResult } from "../results.ts";

export type StatusOutcome = { result: StatusResult } | { skipped: string };

export async function statusResult(ctx: BenchContext): Promise<StatusOutcome> {
  const file = join(ctx.root, "bench", "status-bench.ts");
  try {
    await access(file);
  } catch {
    return { skipped: "bench/status-bench.ts is not in this checkout" };
  }
  return { skipped: "bench/status-bench.ts has no runner hook yet" };
}
