import { describe, expect, it } from "vitest";
import { createFaults, parseFaultSpec } from "./create-faults.ts";

describe("createFaults", () => {
  it("makes the same decisions for the same seed", () => {
    const run = (seed: number): boolean[] => {
      const faults = createFaults(seed, [{ route: "tree", kind: "status", status: 503, probability: 0.5 }]);
      return Array.from({ length: 64 }, () => faults.forRequest("tree").action !== null);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(run(7).filter(Boolean).length).toBeGreaterThan(10);
  });

  it("honours route, skip and times", () => {
    const faults = createFaults(1, [
      { route: "batch", kind: "status", status: 429, retryAfter: 3, skip: 1, times: 2 },
    ]);
    expect(faults.forRequest("tree").action).toBeNull();
    const actions = Array.from({ length: 5 }, () => faults.forRequest("batch").action);
    expect(actions).toEqual([
      null,
      { kind: "status", status: 429, retryAfter: 3 },
      { kind: "status", status: 429, retryAfter: 3 },
      null,
      null,
    ]);
    expect(faults.injected()).toBe(2);
  });

  it("adds delays and fails only the listed batch paths", () => {
    const faults = createFaults(1);
    faults.add({ route: "*", kind: "delay", ms: 20 });
    faults.add({ route: "batch", kind: "batch-fail", paths: ["b"], times: 1 });
    expect(faults.forRequest("resolve")).toEqual({ delayMs: 20, action: null });
    expect(faults.forBatchPath("batch", "a")).toBeNull();
    expect(faults.forBatchPath("batch", "b")).toMatch(/Injected/);
    expect(faults.forBatchPath("batch", "b")).toBeNull();
    faults.clear();
    expect(faults.list()).toEqual([]);
  });

  it("limits a rule to the paths that contain its pathIncludes", () => {
    const faults = createFaults(1);
    faults.add({ route: "resolve", kind: "cut", afterBytes: 0, pathIncludes: "/a/model.neff" });
    expect(faults.forRequest("resolve", "/buckets/n/b/resolve/x/b/model.neff").action).toBeNull();
    expect(faults.forRequest("resolve", "/buckets/n/b/resolve/x/a/model.neff").action).toEqual({
      kind: "cut",
      afterBytes: 0,
    });
  });
});

describe("parseFaultSpec", () => {
  it("parses every kind", () => {
    expect(parseFaultSpec("tree:status=429,retry-after=2,times=3")).toEqual({
      route: "tree",
      kind: "status",
      status: 429,
      retryAfter: 2,
      times: 3,
    });
    expect(parseFaultSpec("cas-xorb:drop,skip=1")).toEqual({ route: "cas-xorb", kind: "drop", skip: 1 });
    expect(parseFaultSpec("resolve:cut=4096,times=2")).toEqual({
      route: "resolve",
      kind: "cut",
      afterBytes: 4096,
      times: 2,
    });
    expect(parseFaultSpec("resolve:cut,path=/model.neff")).toEqual({
      route: "resolve",
      kind: "cut",
      pathIncludes: "/model.neff",
    });
    expect(parseFaultSpec("resolve:delay=200,probability=0.5")).toEqual({
      route: "resolve",
      kind: "delay",
      ms: 200,
      probability: 0.5,
    });
    expect(parseFaultSpec("batch:batch-fail,paths=a|b")).toEqual({
      route: "batch",
      kind: "batch-fail",
      paths: ["a", "b"],
    });
  });

  it("rejects malformed specs", () => {
    expect(() => parseFaultSpec("tree")).toThrow(/ROUTE:KIND/);
    expect(() => parseFaultSpec("tree:explode")).toThrow(/unknown kind/);
    expect(() => parseFaultSpec("tree:status=abc")).toThrow(/number/);
    expect(() => parseFaultSpec("tree:drop,colour=red")).toThrow(/unknown option/);
  });
});
