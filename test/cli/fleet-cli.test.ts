/**
 * prune and copy as a user meets them: what is refused and why, the dry run, --yes.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliCaptured } from "../support/run-cli.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const CV = "2.21.33363.0+82129205";
const SIM = simulatorCommand();

let work: string;
let env: Record<string, string | undefined>;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-fleet-cli-"));
  await mkdir(path.join(work, "store"));
  env = {
    PATH: process.env.PATH,
    HOME: work,
    NEFF_CACHE_COMPILER_VERSION: CV,
    NEFF_CACHE_STATS_FILE: path.join(work, "stats.jsonl"),
  };
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (...argv: string[]) => runCliCaptured(argv, { env, cwd: work });

async function publish(model: string, graphs: number): Promise<void> {
  const run = await cli(
    "exec",
    "--model",
    model,
    "--bucket",
    "./store",
    "--cache-dir",
    "./cache",
    "--",
    ...SIM,
    "--cache-dir",
    path.join(work, "cache"),
    "--graph-text",
    model,
    "--graphs",
    String(graphs),
  );
  expect(run.code).toBe(0);
}

describe("cli: prune", () => {
  const refusals = [
    { what: "no --bucket", argv: ["prune", "--junk", "--yes"], message: /needs --bucket/ },
    {
      what: "no selector",
      argv: ["prune", "--bucket", "./store", "--yes"],
      message: /at least one selector/,
    },
    {
      what: "no --yes when stdin is not a terminal",
      argv: ["prune", "--bucket", "./store", "--junk"],
      message: /Refusing to delete without --yes: stdin is not a terminal/,
    },
    {
      what: "--dry-run with --yes",
      argv: ["prune", "--bucket", "./store", "--junk", "--dry-run", "--yes"],
      message: /contradict/,
    },
    {
      what: "--keep-compiler-versions 0",
      argv: ["prune", "--bucket", "./store", "--keep-compiler-versions", "0", "--yes"],
      message: /1 or more/,
    },
    {
      what: "a bad --older-than",
      argv: ["prune", "--bucket", "./store", "--older-than", "soon", "--yes"],
      message: /Invalid duration/,
    },
  ];
  for (const { what, argv, message } of refusals) {
    it(`refuses ${what} with exit 2 and the fix`, async () => {
      const run = await cli(...argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("prints the plan with --dry-run and applies it with --yes", async () => {
    await publish("org/a", 2);
    await publish("org/b", 1);
    const dry = await cli("prune", "--bucket", "./store", "--model", "org/a", "--dry-run", "--json");
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan).toMatchObject({ dryRun: true, removedKeys: 0 });
    expect(plan.plan.entries).toHaveLength(4);
    expect(plan.plan.records).toHaveLength(0);
    const human = await cli("prune", "--bucket", "./store", "--model", "org/a", "--dry-run");
    expect(human.stdout).toMatch(/Would remove \d+ keys .*4 entry copies/);
    expect(human.stdout).toMatch(/Nothing was deleted \(dry run\)/);

    const applied = await cli("prune", "--bucket", "./store", "--model", "org/a", "--yes", "--json");
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout).removedKeys).toBe(plan.plan.keys);
    const after = await cli("prune", "--bucket", "./store", "--model", "org/a", "--dry-run", "--json");
    expect(JSON.parse(after.stdout).plan.keys).toBe(0);
    const left = await cli("fetch", "org/b", "--bucket", "./store", "--cache-dir", "./cache2", "--json");
    expect(JSON.parse(left.stdout).fetched).toHaveLength(1);
  });
});

describe("cli: copy", () => {
  const refusals = [
    { what: "no --to", argv: ["copy", "--from", "./store"], code: 2, message: /needs --from and --to/ },
    {
      what: "the same store twice",
      argv: ["copy", "--from", "./store", "--to", "./store"],
      code: 2,
      message: /same store/,
    },
    {
      what: "a destination that does not exist",
      argv: ["copy", "--from", "./store", "--to", "./nowhere"],
      code: 3,
      message: /neff-cache create/,
    },
    {
      what: "a malformed store",
      argv: ["copy", "--from", "gs://x", "--to", "./store"],
      code: 2,
      message: /Invalid bucket or store URL/,
    },
  ];
  for (const { what, argv, code, message } of refusals) {
    it(`refuses ${what} with exit ${code} and the fix`, async () => {
      const run = await cli(...argv);
      expect(run.code).toBe(code);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("bakes a bundle that fetch reads, and a second copy writes nothing", async () => {
    await publish("org/a", 2);
    expect((await cli("create", "./bundle")).code).toBe(0);
    const first = await cli("copy", "--from", "./store", "--to", "./bundle", "org/a", "--json");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).copied).toHaveLength(4);
    const again = await cli("copy", "--from", "./store", "--to", "./bundle", "org/a");
    expect(again.stdout).toMatch(/Copied 0 entry copies .*\n {2}4 already in the destination/);
    const fetched = await cli("fetch", "org/a", "--bucket", "./bundle", "--cache-dir", "./cache2", "--json");
    expect(JSON.parse(fetched.stdout).fetched).toHaveLength(2);
  });
});

describe("cli: tiers", () => {
  it("exec reads a missing fast tier as a warning, compiles nothing, and backfills the fast tier", async () => {
    await publish("org/t", 2);
    expect((await cli("create", "./fast")).code).toBe(0);
    await rm(path.join(work, "cache"), { recursive: true, force: true });
    const run = await cli(
      "exec",
      "--model",
      "org/t",
      "--bucket",
      "./missing",
      "--bucket",
      "./fast",
      "--bucket",
      "./store",
      "--cache-dir",
      "./cache",
      "--json",
      "--",
      ...SIM,
      "--cache-dir",
      path.join(work, "cache"),
      "--graph-text",
      "org/t",
      "--graphs",
      "2",
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.cache.fetch.fetched).toHaveLength(2);
    expect(result.cache.fetch.tiers.map((tier: { fetched: number }) => tier.fetched)).toEqual([0, 0, 2]);
    expect(result.cache.fetch.backfilled).toEqual([expect.objectContaining({ published: 2, error: null })]);
    expect(run.stderr).toMatch(/warning: tier .*missing could not be read/);
    expect(result.cache.changedEntries).toEqual([]);

    // NEURON_CACHE_BUCKET names tiers too; the fast one alone now holds everything.
    env.NEURON_CACHE_BUCKET = "./fast,./store";
    const fetched = await cli("fetch", "org/t", "--cache-dir", "./cache3", "--json");
    expect(JSON.parse(fetched.stdout).tiers.map((tier: { fetched: number }) => tier.fetched)).toEqual([2, 0]);
  });

  it("sync --publish-to publishes to that store only", async () => {
    await publish("org/p", 1);
    expect((await cli("create", "./other")).code).toBe(0);
    const run = await cli(
      "sync",
      "org/p",
      "--bucket",
      "./store",
      "--bucket",
      "./fast-missing",
      "--publish-to",
      "./other",
      "--cache-dir",
      "./cache",
      "--json",
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ store: expect.stringContaining("other") });
    expect(JSON.parse(run.stdout).published).toHaveLength(1);
  });
});
