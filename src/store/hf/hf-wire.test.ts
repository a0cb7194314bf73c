import { describe, expect, it } from "vitest";
import { encodeBatch, parseBatchReport, parseLinkNext, parseRateLimitReset, encodePath } from "./hf-wire.ts";

describe("parseLinkNext", () => {
  it.each([
    { what: "no header", header: null, next: null },
    {
      what: "one next link",
      header: '<https://hub/api/x?cursor=a%3D>; rel="next"',
      next: "https://hub/api/x?cursor=a%3D",
    },
    {
      what: "next after prev",
      header: '<https://hub/p?c=1>; rel="prev", <https://hub/n?c=2>; rel="next"',
      next: "https://hub/n?c=2",
    },
    { what: "unquoted rel", header: "<https://hub/n>; rel=next", next: "https://hub/n" },
    { what: "only prev", header: '<https://hub/p>; rel="prev"', next: null },
    {
      what: "a comma inside the URL",
      header: '<https://hub/n?a=1,2>; rel="next"',
      next: "https://hub/n?a=1,2",
    },
  ])("reads $what", ({ header, next }) => {
    expect(parseLinkNext(header)).toBe(next);
  });
});

describe("parseRateLimitReset", () => {
  it.each([
    { what: "an exhausted policy", header: '"api";r=0;t=55', ms: 55_000 },
    { what: "a policy with quota left", header: '"api";r=10;t=55', ms: undefined },
    { what: "no header", header: null, ms: undefined },
    { what: "several policies", header: '"api";r=0;t=5, "pages";r=0;t=9', ms: 9_000 },
    { what: "a policy without r", header: '"api";t=3', ms: 3_000 },
  ])("reads $what", ({ header, ms }) => {
    expect(parseRateLimitReset(header)).toBe(ms);
  });
});

describe("parseBatchReport", () => {
  it("reads a full success", () => {
    expect(parseBatchReport({ success: true, processed: 2, succeeded: 2, failed: [] })).toEqual({
      success: true,
      processed: 2,
      succeeded: 2,
      failed: [],
    });
  });

  it("reads a partial failure sent with status 200", () => {
    const report = parseBatchReport({
      success: false,
      processed: 2,
      succeeded: 1,
      failed: [{ path: "a/b", error: "boom" }],
    });
    expect(report?.success).toBe(false);
    expect(report?.failed).toEqual([{ path: "a/b", error: "boom" }]);
  });

  it("returns null for a body that is not a report", () => {
    expect(parseBatchReport({ error: "nope" })).toBeNull();
    expect(parseBatchReport([])).toBeNull();
    expect(parseBatchReport({ failed: [{ error: "no path" }] })).toBeNull();
  });
});

describe("encodeBatch", () => {
  it("puts adds before deletes, one JSON object per line", () => {
    const text = encodeBatch([
      { type: "deleteFile", path: "old" },
      { type: "addFile", path: "new", xetHash: "h", mtime: 1 },
    ]);
    expect(text.split("\n")).toEqual([
      '{"type":"addFile","path":"new","xetHash":"h","mtime":1}',
      '{"type":"deleteFile","path":"old"}',
      "",
    ]);
  });
});

describe("encodePath", () => {
  it("encodes each segment and keeps the separators", () => {
    expect(encodePath("a b/c#d/e?f%")).toBe("a%20b/c%23d/e%3Ff%25");
  });
});
