import { spawn } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendStatsRecord, readStatsJournal, statsJournalPath } from "./stats-journal.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WRITER = path.join(ROOT, "test/support/append-stats-records.ts");
const LOADER = pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

let dir: string;
let journal: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "neff-stats-"));
  journal = path.join(dir, "state", "stats.jsonl");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `writers` processes at once, each appending `count` records. */
async function appendConcurrently(writers: number, count: number, maxBytes?: number): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, (_, writer) => {
      const args = ["--import", LOADER, WRITER, journal, String(count), String(writer)];
      if (maxBytes !== undefined) args.push(String(maxBytes));
      return new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("exit", (code) =>
          code === 0 ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`)),
        );
      });
    }),
  );
}

describe("stats journal", () => {
  it("keeps every line of concurrent writers intact", async () => {
    await appendConcurrently(6, 300);
    const read = await readStatsJournal(journal);
    expect(read.skipped).toEqual([]);
    expect(read.records).toHaveLength(1800);
    const ids = new Set(read.records.map((record) => record.modelId));
    expect(ids.size).toBe(1800);
  });

  it("stays bounded while concurrent writers rotate it, and every kept line is whole", async () => {
    const maxBytes = 16 * 1024;
    await appendConcurrently(4, 400, maxBytes);
    const read = await readStatsJournal(journal);
    expect(read.skipped).toEqual([]);
    // Two generations at most, each at most one rotation's overshoot past the limit.
    const sizes = await Promise.all([journal, `${journal}.1`].map((file) => stat(file).then((s) => s.size)));
    for (const size of sizes) expect(size).toBeLessThan(maxBytes * 2);
    // At least the current generation's worth of records (~330 bytes each) is kept.
    const lineBytes = (await readFile(journal, "utf8")).split("\n")[0]?.length ?? 1;
    expect(read.records.length).toBeGreaterThanOrEqual(Math.floor(maxBytes / (lineBytes + 1)));
    expect(read.records.length).toBeLessThan(1600);
  });

  it("skips a damaged line and says where it is", async () => {
    const record = {
      at: "2026-11-30T10:00:00.000Z",
      command: "fetch" as const,
      store: null,
      modelId: null,
      compilerVersion: null,
      hits: 1,
      misses: 0,
      entriesFetched: 1,
      bytesFetched: 1,
      entriesPublished: 0,
      bytesPublished: 0,
      failed: 0,
      compileSeconds: 0,
      savedSeconds: 0,
      savedUnknown: 1,
    };
    await appendStatsRecord({ journal, record });
    await appendFile(journal, '{"v":1,"at":"2026-11-30T10:0\n');
    await appendStatsRecord({ journal, record });
    const read = await readStatsJournal(journal);
    expect(read.records).toHaveLength(2);
    expect(read.skipped).toEqual([{ file: journal, line: 2, reason: "not valid JSON" }]);
    expect((await readFile(journal, "utf8")).split("\n")).toHaveLength(4);
  });

  it("reads a missing journal as empty", async () => {
    expect(await readStatsJournal(journal)).toEqual({ records: [], skipped: [] });
  });

  const paths = [
    {
      what: "NEFF_CACHE_STATS_FILE first",
      env: { NEFF_CACHE_STATS_FILE: "/x/j.jsonl", HOME: "/h" },
      path: "/x/j.jsonl",
    },
    {
      what: "XDG_STATE_HOME next",
      env: { XDG_STATE_HOME: "/s", HOME: "/h" },
      path: "/s/neff-cache/stats.jsonl",
    },
    { what: "~/.local/state last", env: { HOME: "/h" }, path: "/h/.local/state/neff-cache/stats.jsonl" },
  ];
  for (const c of paths) {
    it(`is found through ${c.what}`, () => {
      expect(statsJournalPath(c.env)).toBe(c.path);
    });
  }
});
