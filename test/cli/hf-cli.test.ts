/**
 * The CLI against the local Hugging Face bucket server, configured as a user would:
 * HF_ENDPOINT and HF_TOKEN, a bare `ns/name` bucket id.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { runCliCaptured } from "../support/run-cli.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const TOKEN = "hf_cli_write_token_0123456789";
const READ_TOKEN = "hf_cli_read_token_0123456789";
let server: HubServer;
let work: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  server = await startHubServer({
    port: 0,
    tokens: [
      { token: TOKEN, scope: "write" },
      { token: READ_TOKEN, scope: "read" },
    ],
  });
  work = await mkdtemp(path.join(tmpdir(), "neff-hf-cli-"));
  env = {
    PATH: process.env.PATH,
    HOME: work,
    HF_HOME: path.join(work, "hf"),
    HF_ENDPOINT: server.url,
    HF_TOKEN: TOKEN,
    NEFF_CACHE_COMPILER_VERSION: "2.21.33363.0+82129205",
  };
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const cli = (...argv: string[]) => runCliCaptured(argv, { env, cwd: work });

describe("cli on a Hugging Face bucket", () => {
  it("creates the bucket, publishes through exec, fetches after a wipe, and finds nothing to do warm", async () => {
    expect((await cli("create", "neff/cli-cache")).stdout).toMatch(
      /^Created hf:\/\/buckets\/neff\/cli-cache/,
    );
    expect((await cli("create", "neff/cli-cache")).stdout).toMatch(/already exists/);
    const cache = path.join(work, "cache");
    const compile = [
      "--",
      ...simulatorCommand(),
      "--cache-dir",
      cache,
      "--graph-text",
      "hf",
      "--graphs",
      "3",
    ];
    const first = await cli(
      "exec",
      "--model",
      "org/m",
      "--bucket",
      "neff/cli-cache",
      "--cache-dir",
      cache,
      ...compile,
    );
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/published 3 new entries/);

    await rm(cache, { recursive: true });
    const second = await cli(
      "exec",
      "--model",
      "org/m",
      "--bucket",
      "hf://buckets/neff/cli-cache",
      "--cache-dir",
      cache,
      ...compile,
    );
    expect(second.stderr).toMatch(/fetched 3 entries/);
    expect(second.stderr).toMatch(/nothing published \(nothing new\)/);
    expect(second.stderr).not.toMatch(/^compiled:/m);

    const listed = await cli(
      "ls",
      "neuronxcc-2.21.33363.0+82129205/org/m/default",
      "--bucket",
      "neff/cli-cache",
      "--json",
    );
    expect((JSON.parse(listed.stdout) as { dirs: number }).dirs).toBe(3);
  });

  it("says what to do about a missing bucket, a rejected token and a read-only token, without printing the token", async () => {
    const missing = await cli(
      "fetch",
      "org/m",
      "--bucket",
      "neff/nope",
      "--cache-dir",
      path.join(work, "c2"),
    );
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/neff-cache create/);

    const bad = await runCliCaptured(["ls", "--bucket", "neff/cli-cache"], {
      env: { ...env, HF_TOKEN: "hf_not_a_known_token_123" },
      cwd: work,
    });
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/HF_TOKEN/);
    expect(bad.stderr).not.toContain("hf_not_a_known_token_123");

    const readOnly = await runCliCaptured(["create", "neff/other"], {
      env: { ...env, HF_TOKEN: READ_TOKEN },
      cwd: work,
    });
    expect(readOnly.code).toBe(5);
    expect(readOnly.stderr + readOnly.stdout).not.toContain(READ_TOKEN);
  });
});
