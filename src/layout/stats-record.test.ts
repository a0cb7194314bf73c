import { describe, expect, it } from "vitest";
import type { StatsRecord } from "./stats-record.ts";
import { MAX_STATS_LINE_BYTES, formatStatsLine, parseStatsLine } from "./stats-record.ts";
import { summarizeStats } from "./summarize-stats.ts";

const base: StatsRecord = {
  at: "2026-11-30T10:00:00.000Z",
  command: "exec",
  store: "s3://bucket/prefix",
  modelId: "org/model",
  compilerVersion: "2.21.33363.0+82129205",
  hits: 3,
  misses: 1,
  entriesFetched: 3,
  bytesFetched: 3000,
  entriesPublished: 1,
  bytesPublished: 1000,
  failed: 0,
  compileSeconds: 120.5,
  savedSeconds: 900,
  savedUnknown: 1,
};

describe("formatStatsLine / parseStatsLine", () => {
  it("round-trips a record through one newline-terminated line", () => {
    const line = formatStatsLine(base);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(parseStatsLine(line.slice(0, -1))).toEqual({ ok: true, record: base });
  });

  it("drops the store and model id rather than exceed one PIPE_BUF write", () => {
    const long = { ...base, store: `s3://b/${"p".repeat(5000)}` };
    const line = formatStatsLine(long);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_STATS_LINE_BYTES);
    expect(parseStatsLine(line.trim())).toEqual({
      ok: true,
      record: { ...long, store: null, modelId: null },
    });
  });

  const bad = [
    { what: "a torn line", line: formatStatsLine(base).slice(0, 40), reason: /JSON/ },
    { what: "a JSON array", line: "[1,2]", reason: /object/ },
    { what: "a newer format", line: JSON.stringify({ ...base, v: 2 }), reason: /version/ },
    { what: "an unknown command", line: JSON.stringify({ ...base, v: 1, command: "rm" }), reason: /command/ },
    { what: "a bad date", line: JSON.stringify({ ...base, v: 1, at: "yesterday" }), reason: /date/ },
    { what: "a negative count", line: JSON.stringify({ ...base, v: 1, hits: -1 }), reason: /hits/ },
    {
      what: "a string count",
      line: JSON.stringify({ ...base, v: 1, bytesFetched: "9" }),
      reason: /bytesFetched/,
    },
    { what: "a numeric store", line: JSON.stringify({ ...base, v: 1, store: 5 }), reason: /store/ },
  ];
  for (const { what, line, reason } of bad) {
    it(`refuses ${what} with a reason`, () => {
      const parsed = parseStatsLine(line);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(reason);
    });
  }
});

describe("summarizeStats", () => {
  const at = (day: number) => `2026-11-${String(day).padStart(2, "0")}T12:00:00.000Z`;
  const records: StatsRecord[] = [
    {
      ...base,
      at: at(1),
      command: "fetch",
      hits: 5,
      misses: 0,
      entriesFetched: 5,
      bytesFetched: 500,
      savedSeconds: 50,
      savedUnknown: 0,
    },
    {
      ...base,
      at: at(10),
      command: "sync",
      hits: 0,
      misses: 0,
      entriesFetched: 0,
      bytesFetched: 0,
      entriesPublished: 2,
      bytesPublished: 200,
      compileSeconds: 0,
      savedSeconds: 0,
      savedUnknown: 0,
    },
    { ...base, at: at(20) },
  ];
  const cases = [
    {
      what: "every record without a window",
      since: null,
      runs: 3,
      hits: 8,
      misses: 1,
      hitRate: 8 / 9,
      first: at(1),
      saved: 950,
    },
    {
      what: "only records inside the window",
      since: new Date(at(10)),
      runs: 2,
      hits: 3,
      misses: 1,
      hitRate: 0.75,
      first: at(10),
      saved: 900,
    },
    {
      what: "nothing after the last record",
      since: new Date(at(21)),
      runs: 0,
      hits: 0,
      misses: 0,
      hitRate: null,
      first: null,
      saved: 0,
    },
  ];
  for (const c of cases) {
    it(`counts ${c.what}`, () => {
      const summary = summarizeStats(records, c.since);
      expect(summary.total.runs).toBe(c.runs);
      expect(summary.total.hits).toBe(c.hits);
      expect(summary.total.misses).toBe(c.misses);
      expect(summary.hitRate).toBe(c.hitRate);
      expect(summary.first).toBe(c.first);
      expect(summary.total.savedSeconds).toBe(c.saved);
      const byCommand = Object.values(summary.byCommand).reduce((sum, totals) => sum + totals.runs, 0);
      expect(byCommand).toBe(c.runs);
    });
  }

  it("keeps each command's totals apart", () => {
    const summary = summarizeStats(records, null);
    expect(summary.byCommand.sync).toMatchObject({ runs: 1, entriesPublished: 2, bytesPublished: 200 });
    expect(summary.byCommand.fetch).toMatchObject({ runs: 1, bytesFetched: 500 });
    expect(summary.byCommand.exec).toMatchObject({ runs: 1, compileSeconds: 120.5, savedUnknown: 1 });
  });
});
