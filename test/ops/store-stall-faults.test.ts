/**
 * A store that stops answering ends the command early: once it has answered none of many
 * requests in a row within their timeout (NEFF_CACHE_REQUEST_TIMEOUT, short here), sync and
 * fetch stop with exit 4 and E_STORE_STALLED naming the store, long before their --timeout.
 * S3 through the fault proxy holding every PUT or GET; Hugging Face through the local Hub
 * delaying every request past the timeout.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { runCliCaptured } from "../support/run-cli.ts";
import { startS3FaultProxy, type S3FaultProxy } from "../support/s3-fault-proxy.ts";
import { createTestBucket, describeWithS3, s3StoreEnv } from "../support/s3-test-env.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const CV = "2.21.33363.0+82129205";
const GRAPHS = Array.from({ length: 12 }, (_, i) => `graph-${i}`);

let work: string;
let env: Record<string, string | undefined>;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-stall-"));
  env = {
    PATH: process.env.PATH,
    HOME: work,
    NEFF_CACHE_COMPILER_VERSION: CV,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    // Short enough to stall quickly, long enough for a loaded test server to answer a live request.
    NEFF_CACHE_REQUEST_TIMEOUT: "1s",
  };
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (...argv: string[]) => runCliCaptured(argv, { env, cwd: work });
const cacheDir = (): string => path.join(work, "cache");
const compile = () => simulateCompile({ graphs: GRAPHS, cacheDir: cacheDir(), compilerVersion: CV });

/** Runs a command and says how long it took. */
async function timed(
  ...argv: string[]
): Promise<{ code: number; stderr: string; stdout: string; ms: number }> {
  const started = Date.now();
  const run = await cli(...argv);
  return { ...run, ms: Date.now() - started };
}

function expectStalled(run: { code: number; stderr: string; ms: number }, store: string): void {
  expect(run.code, run.stderr).toBe(4);
  expect(run.stderr).toContain(`${store} answered none of`);
  expect(run.stderr).toMatch(/requests in a row within their timeout of 1 s; the work was stopped early/);
  expect(run.stderr).toMatch(/NEFF_CACHE_REQUEST_TIMEOUT/);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  // The deadline is ten minutes; a stalled store ends the run within a few request timeouts.
  expect(run.ms).toBeLessThan(30_000);
}

describeWithS3("a stalled store ends the command early: s3 through the fault proxy", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  let proxy: S3FaultProxy;
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());
  beforeEach(async () => {
    proxy = await startS3FaultProxy({ target: s3.endpoint });
    Object.assign(env, s3StoreEnv(s3), { AWS_ENDPOINT_URL_S3: proxy.url });
  });
  afterEach(() => proxy.close());
  const target = (prefix: string): string[] => [
    "--bucket",
    `s3://${bucket.bucket}/${prefix}`,
    "--cache-dir",
    cacheDir(),
    "--timeout",
    "10m",
  ];

  for (const transport of ["fast", "sdk"] as const) {
    it(`${transport}: a sync whose every PUT is held stops with exit 4, E_STORE_STALLED`, async () => {
      env.NEFF_CACHE_S3_TRANSPORT = transport;
      await compile();
      proxy.add({ kind: "hang", method: "PUT" });
      const run = await timed("sync", "org/m", ...target(`stall-sync-${transport}`), "--json");
      expectStalled(run, `s3://${bucket.bucket}/stall-sync-${transport}`);
      expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "E_STORE_STALLED" } });
      expect(proxy.held()).toBeGreaterThan(0);
    }, 60_000);
  }

  it("exec without --timeout ends its publishing to a stalled store early and returns its command's code with a warning", async () => {
    proxy.add({ kind: "hang", method: "PUT" });
    const run = await timed(
      "exec",
      "--model",
      "org/m",
      "--bucket",
      `s3://${bucket.bucket}/stall-exec`,
      "--cache-dir",
      cacheDir(),
      "--",
      ...simulatorCommand(),
      "--cache-dir",
      cacheDir(),
      "--graph-text",
      "g",
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: publishing failed; the compile's results stay local/);
    expect(run.stderr).toContain(`s3://${bucket.bucket}/stall-exec answered none of`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // Its own default deadline is ten minutes; the stall ends publishing long before.
    expect(run.ms).toBeLessThan(30_000);
    expect(proxy.injected().total).toBeGreaterThan(0);
  }, 60_000);

  it("a fetch whose every object GET is held stops with exit 4 and keeps what it installed", async () => {
    await compile();
    const published = await runCliCaptured(["sync", "org/m", ...target("stall-fetch")], {
      env: { ...env, NEFF_CACHE_REQUEST_TIMEOUT: undefined },
      cwd: work,
    });
    expect(published.code, published.stderr).toBe(0);
    await rm(cacheDir(), { recursive: true, force: true });
    // Listings and manifests go through; the entries' other files never come.
    proxy.add({ kind: "hang", method: "GET", path: /\/MODULE_[^/]+\/(?!neff-entry\.json)[^/?]+$/ });
    const run = await timed("fetch", "org/m", ...target("stall-fetch"));
    expectStalled(run, `s3://${bucket.bucket}/stall-fetch`);
    // Nothing half-installed is left: a second fetch without faults installs everything.
    proxy.clear();
    const again = await runCliCaptured(["fetch", "org/m", ...target("stall-fetch"), "--json"], {
      env: { ...env, NEFF_CACHE_REQUEST_TIMEOUT: undefined },
      cwd: work,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ failed: [] });
  }, 120_000);
});

describe("a stalled store ends the command early: hf (local Hub)", () => {
  const TOKEN = "hf_stall_faults_write_0001";
  let server: HubServer;
  beforeAll(async () => {
    server = await startHubServer({ port: 0, tokens: [{ token: TOKEN, scope: "write" }], seed: 3 });
  });
  afterAll(() => server?.close());
  afterEach(() => server.faults.clear());

  it("a sync against a Hub that answers every request too late stops with exit 4", async () => {
    const hfEnv = { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url, HF_HOME: path.join(work, "hf-home") };
    Object.assign(env, hfEnv);
    const store = createHfStore({ namespace: "neff", name: "stalled", prefix: "", env: hfEnv });
    await store.create();
    await store.close();
    await compile();
    server.faults.add({ route: "*", kind: "delay", ms: 3_000 });
    const run = await timed(
      "sync",
      "org/m",
      "--bucket",
      "hf://buckets/neff/stalled",
      "--cache-dir",
      cacheDir(),
      "--timeout",
      "10m",
    );
    expectStalled(run, "hf://buckets/neff/stalled");
  }, 60_000);
});
