/**
 * `neff-cache stats` as a user meets it: fetch, sync and exec each leave one journal record;
 * the totals, the window, a damaged line, and the Prometheus text format, checked against the
 * exposition grammar and against the reference parser (prometheus_client).
 */
import { spawnSync } from "node:child_process";
import { appendFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeWithPython } from "../support/python-test-env.ts";
import { runCliCaptured } from "../support/run-cli.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const CV = "2.21.33363.0+82129205";
const SIM = simulatorCommand();

let work: string;
let env: Record<string, string | undefined>;
let journal: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-stats-cli-"));
  await mkdir(path.join(work, "store"));
  journal = path.join(work, "state", "stats.jsonl");
  env = {
    PATH: process.env.PATH,
    HOME: work,
    NEFF_CACHE_COMPILER_VERSION: CV,
    NEFF_CACHE_STATS_FILE: journal,
  };
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (...argv: string[]) => runCliCaptured(argv, { env, cwd: work });
const target = ["--bucket", "./store", "--cache-dir", "./cache"];

/** exec compiles two graphs and publishes them; after a wipe, fetch brings them back. */
async function recordRuns(): Promise<void> {
  const exec = await cli(
    "exec",
    "--model",
    "org/m",
    ...target,
    "--",
    ...SIM,
    "--cache-dir",
    path.join(work, "cache"),
    "--graph-text",
    "g",
    "--graphs",
    "2",
  );
  expect(exec.code).toBe(0);
  await rm(path.join(work, "cache"), { recursive: true, force: true });
  expect((await cli("fetch", "org/m", ...target)).code).toBe(0);
  expect((await cli("sync", "org/m", ...target)).code).toBe(0);
}

describe("cli: stats", () => {
  it("adds up what exec, fetch and sync recorded", async () => {
    await recordRuns();
    const lines = (await readFile(journal, "utf8")).trim().split("\n");
    expect(lines.map((line) => JSON.parse(line).command)).toEqual(["exec", "fetch", "sync"]);
    const run = await cli("stats", "--json");
    expect(run.code).toBe(0);
    const { summary } = JSON.parse(run.stdout);
    expect(summary.total).toMatchObject({
      runs: 3,
      hits: 2,
      misses: 2,
      entriesFetched: 2,
      entriesPublished: 2,
    });
    expect(summary.byCommand.exec).toMatchObject({ runs: 1, misses: 2, entriesPublished: 2 });
    expect(summary.byCommand.fetch).toMatchObject({ runs: 1, hits: 2, entriesFetched: 2 });
    expect(summary.byCommand.sync).toMatchObject({ runs: 1, entriesPublished: 0 });
    expect(summary.total.bytesFetched).toBeGreaterThan(0);
    expect(summary.total.compileSeconds).toBeGreaterThan(0);
    expect(summary.hitRate).toBe(0.5);
    // exec recorded how long each entry took to compile; the fetch counts it as saved.
    expect(summary.byCommand.fetch.savedSeconds).toBeGreaterThan(0);
    expect(summary.byCommand.fetch.savedUnknown).toBe(0);
    const human = await cli("stats");
    expect(human.stdout).toMatch(/3 runs/);
    expect(human.stdout).toMatch(/hit rate 50\.0%/);
  });

  it("counts only the window --since names", async () => {
    await recordRuns();
    const old = JSON.parse((await readFile(journal, "utf8")).split("\n")[0] ?? "{}");
    await appendFile(journal, `${JSON.stringify({ ...old, at: "2020-01-01T00:00:00.000Z", hits: 100 })}\n`);
    const all = JSON.parse((await cli("stats", "--json")).stdout);
    const week = JSON.parse((await cli("stats", "--since", "7d", "--json")).stdout);
    expect(all.summary.total.runs).toBe(4);
    expect(all.summary.total.hits).toBe(102);
    expect(week.summary.total.runs).toBe(3);
    expect(week.summary.total.hits).toBe(2);
  });

  it("skips a damaged line with a warning naming it", async () => {
    await recordRuns();
    await appendFile(journal, "{not json\n");
    const run = await cli("stats", "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ skippedLines: 1, summary: { total: { runs: 3 } } });
    expect(run.stderr).toMatch(/warning: skipped 1 damaged line.*stats\.jsonl:4: not valid JSON/);
  });

  it("refuses a bad window or format with the fix", async () => {
    const since = await cli("stats", "--since", "a week");
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/Invalid duration/);
    const format = await cli("stats", "--format", "influx");
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/prometheus/);
  });

  it("prints valid Prometheus text exposition format", async () => {
    await recordRuns();
    const run = await cli("stats", "--format", "prometheus");
    expect(run.code).toBe(0);
    expect(exposeProblems(run.stdout)).toEqual([]);
    expect(run.stdout).toMatch(/^neff_cache_hits_total\{command="fetch"\} 2$/m);
    expect(run.stdout).toMatch(/^neff_cache_runs_total\{command="exec"\} 1$/m);
  });

  it("prints a valid exposition with an empty journal", async () => {
    const run = await cli("stats", "--format", "prometheus");
    expect(exposeProblems(run.stdout)).toEqual([]);
    expect(run.stdout).toMatch(/^neff_cache_runs_total\{command="sync"\} 0$/m);
  });
});

describePythonParser();

function describePythonParser(): void {
  describeWithPython("cli: stats --format prometheus, read by prometheus_client", (py) => {
    it("parses into the families and samples we wrote", async () => {
      await recordRuns();
      const text = (await cli("stats", "--format", "prometheus")).stdout;
      const script = [
        "import json, sys",
        "from prometheus_client.parser import text_string_to_metric_families",
        "out = {}",
        "for family in text_string_to_metric_families(sys.stdin.read()):",
        "    out[family.name] = {'type': family.type, 'samples': [[s.name, s.labels, s.value] for s in family.samples]}",
        "print(json.dumps(out))",
      ].join("\n");
      const parsed = spawnSync(py.python, ["-c", script], { input: text, encoding: "utf8" });
      expect(parsed.stderr).toBe("");
      const families = JSON.parse(parsed.stdout);
      // prometheus_client names counter families without their _total suffix.
      expect(families.neff_cache_hits.type).toBe("counter");
      expect(families.neff_cache_hits.samples).toContainEqual([
        "neff_cache_hits_total",
        { command: "fetch" },
        2,
      ]);
      expect(families.neff_cache_journal_skipped_lines.type).toBe("gauge");
      expect(Object.keys(families)).toHaveLength(13);
    });
  });
}

/**
 * Problems of `text` as Prometheus text exposition format 0.0.4, strictly: every line is a
 * HELP, a TYPE or a sample; a family's HELP and TYPE come once, before its samples; names and
 * labels follow the grammar; values are Go floats; no timestamps (the textfile collector
 * refuses them); the text ends with a newline; no family appears twice.
 */
function exposeProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith("\n")) problems.push("does not end with a newline");
  const name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const label = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  const value = "(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN)";
  const sample = new RegExp(`^(${name})(?:\\{(?:${label}(?:,${label})*)?\\})? (${value})$`);
  const help = new RegExp(`^# HELP (${name}) .*$`);
  const type = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`);
  const seen = new Set<string>();
  let current: string | null = null;
  let typed = false;
  text
    .trimEnd()
    .split("\n")
    .forEach((line, index) => {
      const at = `line ${index + 1}`;
      const h = help.exec(line);
      const t = type.exec(line);
      const s = sample.exec(line);
      if (h) {
        if (seen.has(h[1] ?? "")) problems.push(`${at}: family ${h[1]} appears twice`);
        seen.add(h[1] ?? "");
        current = h[1] ?? null;
        typed = false;
      } else if (t) {
        if (t[1] !== current) problems.push(`${at}: TYPE of ${t[1]} is not after its HELP`);
        if (typed) problems.push(`${at}: second TYPE for ${t[1]}`);
        typed = true;
      } else if (s) {
        if (s[1] !== current || !typed) problems.push(`${at}: sample of ${s[1]} outside its family`);
      } else problems.push(`${at}: not a HELP, TYPE or sample line: ${JSON.stringify(line)}`);
    });
  return problems;
}
