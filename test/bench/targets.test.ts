import { describe, expect, it } from "vitest";
import type { BenchResults, Comparison } from "../../bench/results.ts";
import { summarize } from "../../bench/stats.ts";
import { judgeTargets } from "../../bench/targets.ts";

type Partial = Omit<BenchResults, "targets">;

function comparison(id: string, candidateMs: number, referenceMs: number): Comparison {
  return {
    id,
    title: id,
    judgedBy: id.startsWith("exec") ? "overhead" : "ratio",
    candidate: { label: "neff-cache", ms: summarize([candidateMs]) },
    reference: { label: "reference", ms: summarize([referenceMs]) },
    ratio: candidateMs / referenceMs,
    differenceMs: candidateMs - referenceMs,
  };
}

function results(comparisons: Comparison[], status: Partial["status"] = null): Partial {
  return { comparisons, status, memory: [] } as unknown as Partial;
}

function target(partial: Partial, id: string): { value: number | null; pass: boolean | null } {
  const found = judgeTargets(partial).find((t) => t.id === id);
  if (!found) throw new Error(`no target ${id}`);
  return { value: found.value, pass: found.pass };
}

describe("judgeTargets: issue 11's local-speed bars", () => {
  it.each([
    ["dir-fetch-model", 337, 225, true],
    ["dir-fetch-model", 338, 225, false],
    ["dir-fetch-many-small", 4590, 3200, true],
  ])("%s: %d ms vs cp -r %d ms passes=%s (limit 1.5×)", (id, candidate, reference, pass) => {
    expect(target(results([comparison(id, candidate, reference)]), id).pass).toBe(pass);
  });

  it.each([
    ["exec-warm", "exec-overhead", 80, 40, true],
    ["exec-warm", "exec-overhead", 81, 40, false],
    ["exec-warm-dir-many-small", "exec-overhead-dir-many-small", 224, 40, false],
    ["exec-warm-s3-many-small", "exec-overhead-s3-many-small", 60, 40, true],
  ])("%s: %d ms vs node -e 0 %d ms → %s passes=%s (limit 40 ms over)", (id, targetId, c, r, pass) => {
    const judged = target(results([comparison(id, c, r)]), targetId);
    expect(judged).toEqual({ value: c - r, pass });
  });

  it.each([
    [1, 3, true],
    [2, 4, false],
  ])("hf warm exec: %d tree listings (%d Hub requests) passes=%s (limit 1)", (list, total, pass) => {
    const found = { ...comparison("exec-warm-hf-model", 90, 50), set: "model" };
    found.candidate.requests = { list, other: total - list, total };
    const judged = judgeTargets(results([found]));
    expect(judged.find((t) => t.id === "exec-overhead-hf-model")).toMatchObject({ value: 40, pass: true });
    expect(judged.find((t) => t.id === "exec-listings-hf-model")).toMatchObject({
      value: list,
      pass,
      note: `${total} Hub requests in all`,
    });
  });

  it("judges status as a ratio to du -s (limit 2×), and says nothing when du -s was not measured", () => {
    const status = (ms: number, du?: number): Partial["status"] => ({
      entries: 100_000,
      ms: summarize([ms]),
      ...(du === undefined ? {} : { reference: { label: "du -s", ms: summarize([du]) } }),
    });
    expect(target(results([], status(400, 200)), "status")).toEqual({ value: 2, pass: true });
    expect(target(results([], status(476, 211)), "status")).toEqual({ value: 2.26, pass: false });
    expect(target(results([], status(476)), "status")).toEqual({ value: null, pass: null });
    expect(target(results([]), "status")).toEqual({ value: null, pass: null });
  });

  it("leaves a bar unjudged, not passed, when its section did not run", () => {
    const judged = judgeTargets(results([]));
    expect(judged.find((t) => t.id === "dir-fetch-model")?.pass).toBeNull();
    expect(judged.find((t) => t.id === "exec-overhead")?.pass).toBeNull();
  });
});
