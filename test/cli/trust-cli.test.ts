/**
 * The trust commands as a user meets them: keygen's files and modes, sign and fetch --trust on a
 * directory store, clear errors for bad key input, and the private key never in any output.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliCaptured } from "../support/run-cli.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const CV = "2.21.33363.0+82129205";
const SIM = simulatorCommand();

let work: string;
let store: string;
let cache: string;
let env: Record<string, string | undefined>;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-trust-cli-"));
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
const privateBody = async (file: string): Promise<string[]> =>
  (await readFile(file, "utf8")).split("\n").filter((line) => line.length > 0 && !line.startsWith("-----"));

describe("cli: trusted producers", () => {
  it("keygen writes a private key only its owner reads, and never prints it", async () => {
    const made = await cli("keygen", "--out", "ci", "--json");
    expect(made.code).toBe(0);
    const result = JSON.parse(made.stdout) as {
      fingerprint: string;
      privateKeyFile: string;
      publicKeyFile: string;
    };
    expect(result.fingerprint).toMatch(/^ed25519:[0-9a-f]{32}$/);
    expect((await stat(result.privateKeyFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(result.publicKeyFile, "utf8")).toContain("BEGIN PUBLIC KEY");
    for (const line of await privateBody(result.privateKeyFile)) {
      expect(made.stdout + made.stderr).not.toContain(line);
    }
    const again = await cli("keygen", "--out", "ci");
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/ci\.key already exists; keygen never replaces a key/);
  });

  it("a producer signs, a consumer that trusts it fetches; one that trusts another key fetches nothing", async () => {
    await cli("keygen", "--out", "ci");
    await cli("keygen", "--out", "stranger");
    const compiled = await cli(
      "exec",
      "--model",
      "org/m",
      "--bucket",
      store,
      "--cache-dir",
      cache,
      "--",
      ...SIM,
      "--cache-dir",
      cache,
      "--graph-text",
      "g",
      "--graphs",
      "2",
    );
    expect(compiled.code).toBe(0);
    const signed = await cli("sign", "--bucket", store, "--signing-key", "ci.key", "org/m", "--json");
    expect(signed.code).toBe(0);
    expect((JSON.parse(signed.stdout) as { signed: string[] }).signed).toHaveLength(4);
    for (const line of await privateBody(path.join(work, "ci.key")))
      expect(signed.stdout + signed.stderr).not.toContain(line);

    await rm(cache, { recursive: true, force: true });
    const untrusted = await cli(
      "fetch",
      "org/m",
      "--bucket",
      store,
      "--cache-dir",
      cache,
      "--trust",
      "stranger.pub",
    );
    expect(untrusted.code).toBe(0);
    expect(untrusted.stdout).toMatch(/Fetched 0 entries/);
    expect(untrusted.stdout).toMatch(/skipped MODULE_\S+: unknown-key: signed only by untrusted ed25519:/);

    env.NEFF_CACHE_TRUST = "ci.pub";
    const trusted = await cli("fetch", "org/m", "--bucket", store, "--cache-dir", cache, "--json");
    expect(trusted.code).toBe(0);
    const fetched = (JSON.parse(trusted.stdout) as { fetched: Array<{ signedBy: string }> }).fetched;
    expect(fetched).toHaveLength(2);
    const { fingerprint } = JSON.parse((await cli("keygen", "--out", "x", "--json")).stdout) as {
      fingerprint: string;
    };
    expect(fetched.every((entry) => entry.signedBy !== fingerprint)).toBe(true);
    expect(
      (await readdir(path.join(cache, `neuronxcc-${CV}`))).filter((name) => name.startsWith("MODULE_")),
    ).toHaveLength(2);
  });

  it("exec signs what it publishes; a trusting exec uses it, and an untrusted store is only a miss", async () => {
    await cli("keygen", "--out", "ci");
    await cli("keygen", "--out", "stranger");
    const compile = (...flags: string[]) =>
      cli(
        "exec",
        "--model",
        "org/m",
        "--bucket",
        store,
        "--cache-dir",
        cache,
        "--json",
        ...flags,
        "--",
        ...SIM,
        "--cache-dir",
        cache,
        "--graph-text",
        "e",
        "--graphs",
        "2",
      );
    const producer = await compile("--signing-key", "ci.key");
    expect(producer.code).toBe(0);
    const published = JSON.parse(producer.stdout) as {
      cache: { sync: { signatures: { signed: string[] } } };
    };
    expect(published.cache.sync.signatures.signed).toHaveLength(4);
    for (const line of await privateBody(path.join(work, "ci.key")))
      expect(producer.stdout + producer.stderr).not.toContain(line);

    await rm(cache, { recursive: true, force: true });
    const trusting = await compile("--trust", "ci.pub", "--read-only");
    expect(trusting.code).toBe(0);
    expect(
      (JSON.parse(trusting.stdout) as { cache: { fetch: { fetched: unknown[] } } }).cache.fetch.fetched,
    ).toHaveLength(2);

    await rm(cache, { recursive: true, force: true });
    const wary = await compile("--trust", "stranger.pub", "--read-only");
    expect(wary.code).toBe(0);
    const report = JSON.parse(wary.stdout) as {
      cache: { fetch: { fetched: unknown[]; skipped: Array<{ reason: string }> }; changedEntries: string[] };
    };
    expect(report.cache.fetch.fetched).toEqual([]);
    expect(report.cache.fetch.skipped.map((skip) => skip.reason)).toEqual(["untrusted", "untrusted"]);
    // Compiled instead: an untrusted entry is simply a miss.
    expect(report.cache.changedEntries).toHaveLength(2);
  });

  const cases = [
    {
      what: "a trust file that does not exist",
      argv: ["--trust", "nope.pub"],
      message: /--trust .*nope\.pub does not exist/,
    },
    {
      what: "a private key given as trusted",
      argv: ["--trust", "ci.key"],
      message: /it is a private key; trust the \.pub file/,
    },
    { what: "a file that is no key", argv: ["--trust", "notes.txt"], message: /it is not a PEM public key/ },
    {
      what: "revocation without trust",
      argv: ["--revoke", "ci.pub"],
      message: /--revoke .* without any trusted key/,
    },
  ];
  for (const testCase of cases) {
    it(`refuses ${testCase.what} with exit 2 and no stack trace`, async () => {
      await cli("keygen", "--out", "ci");
      await writeFile(path.join(work, "notes.txt"), "hello\n");
      const run = await cli("fetch", "org/m", "--bucket", store, "--cache-dir", cache, ...testCase.argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(testCase.message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      for (const line of await privateBody(path.join(work, "ci.key"))) expect(run.stderr).not.toContain(line);
    });
  }

  it("sign without a key says how to get one", async () => {
    const run = await cli("sign", "--bucket", store);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs a signing key[\s\S]*neff-cache keygen/);
  });
});
