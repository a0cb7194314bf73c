/**
 * The command line as a user meets it: exit codes, one JSON document on stdout, clear errors
 * without stack traces, secrets never printed, and exec's promises (the command's own exit code,
 * store failures as warnings, nothing failed ever published).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliCaptured } from "../support/run-cli.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CV = "2.21.33363.0+82129205";
const SIM = simulatorCommand();

let work: string;
let store: string;
let cache: string;
let env: Record<string, string | undefined>;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-cli-"));
  store = path.join(work, "store");
  cache = path.join(work, "cache");
  await mkdir(store);
  env = {
    PATH: process.env.PATH,
    HOME: work,
    HF_HOME: path.join(work, "hf"),
    NEFF_CACHE_COMPILER_VERSION: CV,
  };
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (...argv: string[]) => runCliCaptured(argv, { env, cwd: work });
/** The directory store and local cache of this test. */
const target = (): string[] => ["--bucket", store, "--cache-dir", cache];
const sim = (...args: string[]) => [...SIM, "--cache-dir", cache, ...args];

describe("cli: errors a user can cause", () => {
  const cases = [
    {
      what: "a malformed bucket",
      argv: ["fetch", "org/m", "--bucket", "gs://x"],
      code: 2,
      message: /Invalid bucket or store URL "gs:\/\/x"/,
    },
    {
      what: "a model id with ..",
      argv: ["fetch", "../etc", "--bucket", "/tmp"],
      code: 2,
      message: /model id/i,
    },
    {
      what: "an absolute model id",
      argv: ["lookup", "/home/u/model", "--bucket", "/tmp"],
      code: 2,
      message: /model id/i,
    },
    { what: "an unknown option", argv: ["status", "--bogus"], code: 2, message: /Unknown option '--bogus'/ },
    { what: "an unknown command", argv: ["frobnicate"], code: 2, message: /Unknown command "frobnicate"/ },
    {
      what: "a store folder that does not exist",
      argv: ["ls", "--bucket", "/nonexistent/neff"],
      code: 3,
      message: /does not exist/,
    },
    {
      what: "a non-numeric filter",
      argv: ["lookup", "org/m", "--batch-size", "big", "--bucket", "/tmp"],
      code: 2,
      message: /--batch-size takes a whole number/,
    },
  ];
  for (const { what, argv, code, message } of cases) {
    it(`rejects ${what} with exit ${code}, a message and no stack trace`, async () => {
      const run = await cli(...argv);
      expect(run.code).toBe(code);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("prints a JSON error document on stdout with --json", async () => {
    const run = await cli("fetch", "org/m", "--bucket", "gs://x", "--json");
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: "E_USAGE" } });
  });

  it("never prints a token, even one given where a bucket belongs", async () => {
    env.HF_TOKEN = "hf_SuperSecretTokenValue123";
    const run = await cli("set", "hf_SuperSecretTokenValue123", "--json");
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).not.toContain("SuperSecretTokenValue");
  });

  it("names the flag when no compiler version can be found", async () => {
    delete env.NEFF_CACHE_COMPILER_VERSION;
    env.PATH = "/nonexistent";
    const run = await cli("fetch", "org/m", "--bucket", store, "--cache-dir", cache);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--compiler-version");
  });
});

describe("cli: exec", () => {
  it("returns the command's own exit code", async () => {
    const run = await cli("exec", "--model", "org/m", ...target(), "--", "sh", "-c", "exit 3");
    expect(run.code).toBe(3);
  });

  it("runs the command and warns when the store is unusable", async () => {
    const run = await cli(
      "exec",
      "--model",
      "org/m",
      "--bucket",
      path.join(work, "missing"),
      "--cache-dir",
      cache,
      "--",
      ...sim("--graph-text", "g"),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: fetch failed, compiling without it/);
    expect(run.stderr).toMatch(/warning: publishing failed/);
  });

  it("fails with --strict when the store is unusable, before running the command", async () => {
    const marker = path.join(work, "ran");
    const run = await cli(
      "exec",
      "--strict",
      "--model",
      "org/m",
      "--bucket",
      path.join(work, "missing"),
      "--cache-dir",
      cache,
      "--",
      "touch",
      marker,
    );
    expect(run.code).toBe(3);
    await expect(readdir(work)).resolves.not.toContain("ran");
  });

  it("publishes what a successful compile produced and never a failed one", async () => {
    const failed = await cli(
      "exec",
      "--model",
      "org/m",
      ...target(),
      "--",
      ...sim("--graph-text", "bad", "--fail"),
    );
    expect(failed.code).toBe(1);
    expect(await readdir(store)).toEqual([]);

    const ok = await cli(
      "exec",
      "--model",
      "org/m",
      ...target(),
      "--json",
      "--",
      ...sim("--graph-text", "good", "--graphs", "2"),
    );
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout.slice(ok.stdout.indexOf("{"))) as {
      cache: { sync: { published: unknown[] } };
    };
    expect(report.cache.sync.published).toHaveLength(2);
  });

  it("does not publish with --read-only or NEFF_CACHE_READ_ONLY", async () => {
    const flag = await cli(
      "exec",
      "--read-only",
      "--model",
      "org/m",
      ...target(),
      "--",
      ...sim("--graph-text", "a"),
    );
    env.NEFF_CACHE_READ_ONLY = "1";
    const variable = await cli("exec", "--model", "org/m", ...target(), "--", ...sim("--graph-text", "b"));
    expect([flag.code, variable.code]).toEqual([0, 0]);
    expect(await readdir(store)).toEqual([]);
  });

  it("writes the export record from --config, floats kept as floats", async () => {
    const config = path.join(work, "cfg.json");
    await writeFile(config, '{"batch_size": 1, "scale": 1.0, "torch_dtype": "bfloat16"}');
    const run = await cli(
      "exec",
      "--model",
      "org/m",
      "--config",
      config,
      "--optimum-neuron-version",
      "0.4.6",
      ...target(),
      "--",
      ...sim("--graph-text", "r"),
    );
    expect(run.code).toBe(0);
    const lookup = await cli("lookup", "org/m", "--bucket", store, "--json");
    const records = (JSON.parse(lookup.stdout) as { records: Array<{ key: string }> }).records;
    expect(records).toHaveLength(1);
    expect(records[0]?.key).toMatch(
      /^neuronxcc-2\.21\.33363\.0\+82129205\/org\/m\/default\/exports\/0\.4\.6\/[0-9a-f]{8}\.json$/,
    );
  });

  it("reads --config-after once the command succeeded: written, a record; not written, none", async () => {
    const config = path.join(work, "written-by-the-command.json");
    const exec = (graph: string, script: string) =>
      cli(
        "exec",
        "--model",
        "org/m",
        "--config-after",
        config,
        "--optimum-neuron-version",
        "0.4.6",
        ...target(),
        "--json",
        "--",
        "sh",
        "-c",
        `${SIM.map((word) => `'${word}'`).join(" ")} --cache-dir '${cache}' --graph-text ${graph} && ${script}`,
      );
    const without = await exec("a", "true");
    expect(without.code).toBe(0);
    expect((JSON.parse(without.stdout) as { warnings: string[] }).warnings).toEqual([]);
    const written = await exec("b", `printf '{"batch_size": 2, "scale": 1.0}' > '${config}'`);
    expect(written.code).toBe(0);
    const lookup = await cli("lookup", "org/m", "--bucket", store, "--json");
    const records = (JSON.parse(lookup.stdout) as { records: Array<{ config: unknown }> }).records;
    expect(records.map((record) => record.config)).toEqual([{ batch_size: 2, scale: 1 }]);
    expect(lookup.stdout).toMatch(/"scale": 1\.0/);
  });

  it("rejects a config file that is not a JSON object before running anything", async () => {
    const config = path.join(work, "cfg.json");
    await writeFile(config, "[1, 2]");
    const run = await cli("exec", "--model", "org/m", "--config", config, "--bucket", store, "--", "true");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/must hold a JSON object/);
  });

  it("forwards SIGTERM to the command and exits as it did", async () => {
    expect(await signalledExec("SIGTERM", "trap 'exit 42' TERM; sleep 30 & wait")).toBe(42);
  });
});

describe("cli: exec and SIGINT", () => {
  it("passes a SIGINT sent to neff-cache alone on to the command, once", async () => {
    expect(await signalledExec("SIGINT", "trap 'exit 43' INT; sleep 30 & wait")).toBe(43);
  });
});

describe("cli: fetch, sync, ls, create, set", () => {
  it("round-trips through a directory store with --json documents", async () => {
    await cli("exec", ...target(), "--", ...sim("--graph-text", "x", "--graphs", "2"));
    const synced = await cli("sync", "org/m", "--task", "t", ...target(), "--json");
    expect(synced.code).toBe(0);
    expect((JSON.parse(synced.stdout) as { published: unknown[] }).published).toHaveLength(2);
    await rm(cache, { recursive: true });
    const fetched = await cli("fetch", "org/m", "--task", "t", ...target(), "--json");
    expect(fetched.code).toBe(0);
    expect((JSON.parse(fetched.stdout) as { fetched: unknown[] }).fetched).toHaveLength(2);
    const listed = await cli("ls", `neuronxcc-${CV}`, "--bucket", store, "--json");
    expect((JSON.parse(listed.stdout) as { dirs: number }).dirs).toBe(3);
  });

  it("sync --module publishes only the entries named", async () => {
    await cli("exec", "--read-only", ...target(), "--", ...sim("--graph-text", "x", "--graphs", "3"));
    const names = (await readdir(path.join(cache, `neuronxcc-${CV}`))).filter((n) => n.startsWith("MODULE_"));
    expect(names).toHaveLength(3);
    const synced = await cli(
      "sync",
      "org/m",
      "--module",
      names[0] as string,
      "--module",
      names[2] as string,
      ...target(),
      "--json",
    );
    expect(synced.code).toBe(0);
    const published = (JSON.parse(synced.stdout) as { published: Array<{ module: string }> }).published;
    expect(published.map((entry) => entry.module).sort()).toEqual([names[0], names[2]].sort());
    const flat = (await readdir(path.join(store, `neuronxcc-${CV}`))).filter((n) => n.startsWith("MODULE_"));
    expect(flat.sort()).toEqual([names[0], names[2]].sort());
  });

  it("reports a partial fetch with exit 6 and the full result in --json", async () => {
    await cli(
      "exec",
      "--model",
      "org/m",
      ...target(),
      "--",
      ...sim("--graph-text", "p", "--graphs", "2", "--neff-bytes", "1000"),
    );
    const area = path.join(store, `neuronxcc-${CV}`, "org", "m", "default");
    const [tampered] = (await readdir(area)).sort();
    await writeFile(path.join(area, tampered ?? "", "model.neff"), "x".repeat(1000));
    await rm(cache, { recursive: true });
    const run = await cli("fetch", "org/m", ...target(), "--json");
    expect(run.code).toBe(6);
    const result = JSON.parse(run.stdout) as {
      fetched: unknown[];
      failed: Array<{ module: string; error: string }>;
    };
    expect(result.fetched).toHaveLength(1);
    expect(result.failed).toEqual([
      { module: tampered, error: expect.stringMatching(/verification failed/) },
    ]);
  });

  it("create makes a directory store and is idempotent", async () => {
    const target = path.join(work, "new-store");
    expect((await cli("create", target)).stdout).toMatch(/^Created file:\/\//);
    expect((await cli("create", target)).stdout).toMatch(/already exists/);
  });

  it("set writes the bucket file optimum-neuron reads, and the next command uses it", async () => {
    const run = await cli("set", store);
    expect(run.code).toBe(0);
    const listed = await cli("ls", "--json");
    expect(JSON.parse(listed.stdout)).toMatchObject({ url: `file://${store}` });
  });
});

/** Runs `exec -- sh -c script` through the real binary, signals neff-cache alone, returns its exit code. */
async function signalledExec(signal: NodeJS.Signals, script: string): Promise<number | null> {
  await runBin(["create", store]);
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "bin/neff-cache.js"), "exec", "--model", "org/m", ...target(), "--", "sh", "-c", script],
    { env: { ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill(signal);
  // "exit", not "close": the shell's background sleep keeps the pipes open.
  return new Promise((resolve) => child.on("exit", resolve));
}

function runBin(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    spawn(process.execPath, [path.join(ROOT, "bin/neff-cache.js"), ...args], {
      env: { ...env },
      stdio: "ignore",
    }).on("close", resolve);
  });
}
