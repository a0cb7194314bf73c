import { describe, expect, it } from "vitest";
import { classifyHubRequest } from "../../bench/sections/hf.ts";

describe("classifyHubRequest", () => {
  it.each([
    ["GET", "/api/buckets/bench/neff/tree/run/neuronxcc-2.21?recursive=true&limit=5000", "list"],
    ["GET", "/api/buckets/bench/neff/tree?recursive=false", "list"],
    ["GET", "/buckets/bench/neff/resolve/run/a/model.neff", "get"],
    ["HEAD", "/buckets/bench/neff/resolve/run/a/model.neff", "head"],
    ["POST", "/api/buckets/bench/neff/paths-info", "other"],
    ["GET", "/api/buckets/bench/neff", "other"],
    ["GET", "/api/buckets/bench/neff/xet-read-token", "other"],
  ])("%s %s is %s", (method, url, kind) => {
    expect(classifyHubRequest(method, url)).toBe(kind);
  });
});
