/**
 * A stalled store (the fault proxy holds every request of a kind unanswered) never holds a
 * command past its deadline: `--timeout` and NEFF_CACHE_TIMEOUT end sync and fetch with exit 4
 * and a message saying so; exec returns its command's exit code with a warning.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { runCliCaptured } from "../support/run-cli.ts";
import { startS3FaultProxy, type S3FaultProxy } from "../support/s3-fault-proxy.ts";
import { createTestBucket, describeWithS3, s3StoreEnv } from "../support/s3-test-env.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const CV = "2.21.33363.0+82129205";

describeWithS3("cli: a stalled store and the deadline", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  let proxy: S3FaultProxy;
  let work: string;
  let env: Record<string, string | undefined>;
  beforeAll(async () => void (bucket = await createTestBucket(s3)));
  afterAll(() => bucket?.cleanup());
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), "neff-deadline-"));
    proxy = await startS3FaultProxy({ target: s3.endpoint });
    env = {
      PATH: process.env.PATH,
      HOME: work,
      NEFF_CACHE_COMPILER_VERSION: CV,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...s3StoreEnv(s3),
      AWS_ENDPOINT_URL_S3: proxy.url,
    };
  });
  afterEach(async () => {
    await proxy.close();
    await rm(work, { recursive: true, force: true });
  });

  const cli = (...argv: string[]) => runCliCaptured(argv, { env, cwd: work });
  const target = (prefix: string): string[] => [
    "--bucket",
    `s3://${bucket.bucket}/${prefix}`,
    "--cache-dir",
    path.join(work, "cache"),
  ];

  it("ends a sync whose every PUT is held at --timeout, exit 4", async () => {
    await simulateCompile({
      graphs: ["a", "b", "c"],
      cacheDir: path.join(work, "cache"),
      compilerVersion: CV,
    });
    proxy.add({ kind: "hang", method: "PUT" });
    const run = await cli("sync", "org/m", ...target("stalled-sync"), "--timeout", "2s");
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/sync stopped: its store work did not finish within 2s/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(proxy.held()).toBeGreaterThan(0);
  });

  it("ends a fetch whose every GET is held at NEFF_CACHE_TIMEOUT, exit 4, --json saying why", async () => {
    proxy.add({ kind: "hang", method: "GET" });
    env.NEFF_CACHE_TIMEOUT = "1500ms";
    const run = await cli("fetch", "org/m", ...target("stalled-fetch"), "--json");
    expect(run.code).toBe(4);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "E_STORE_DEADLINE" } });
  });

  it("refuses a --timeout that is not a duration, exit 2", async () => {
    const run = await cli("fetch", "org/m", ...target("x"), "--timeout", "soon");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--timeout "soon" is not a duration/);
  });

  it("exec returns its command's exit code with a warning when publishing hits the deadline", async () => {
    const cache = path.join(work, "cache");
    proxy.add({ kind: "hang", method: "PUT" });
    const run = await cli(
      "exec",
      "--model",
      "org/m",
      ...target("stalled-exec"),
      "--timeout",
      "2s",
      "--",
      ...simulatorCommand(),
      "--cache-dir",
      cache,
      "--graph-text",
      "g",
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /warning: publishing failed; the compile's results stay local: publishing did not finish within 2 s/,
    );
  });
});
