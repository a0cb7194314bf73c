/**
 * Bad local input is a usage error (exit 2) with a message naming the problem and the fix, and
 * never a stack trace, even with --verbose: a cache dir that is a file, socket paths the bucket
 * server cannot use, an unknown option, config files that are not regular files or too large
 * to be an export configuration.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runCliCaptured, type CliRun } from "../support/run-cli.ts";

const CV = "2.21.33363.0+82129205";

let work: string;
let store: string;
let env: Record<string, string | undefined>;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-bad-input-"));
  store = path.join(work, "store");
  await mkdir(store);
  env = { PATH: process.env.PATH, HOME: work, NEFF_CACHE_COMPILER_VERSION: CV };
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (...argv: string[]): Promise<CliRun> => runCliCaptured(argv, { env, cwd: work });

function expectUsageError(run: CliRun, message: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toMatch(/Internal error/);
}

it("refuses a cache dir that is a file, or lies below one", async () => {
  const file = path.join(work, "not-a-dir");
  await writeFile(file, "x");
  expectUsageError(
    await cli("fetch", "org/m", "--bucket", store, "--cache-dir", file),
    /cache dir .* is a file/,
  );
  expectUsageError(
    await cli("sync", "org/m", "--bucket", store, "--cache-dir", path.join(file, "cache")),
    /lies below a file/,
  );
});

it("refuses an empty socket path and one the bucket server cannot listen on", async () => {
  expectUsageError(await cli("bucket-server", ""), /socket path is empty/);
  expectUsageError(
    await cli("bucket-server", path.join(work, "missing-dir", "s.sock")),
    /Cannot listen on .*: its directory does not exist/,
  );
  await writeFile(path.join(work, "file"), "x");
  expectUsageError(
    await cli("bucket-server", path.join(work, "file", "s.sock")),
    /Cannot listen on .*: a part of it is not a directory/,
  );
});

it("says an unknown option in words, with no stack even with --verbose", async () => {
  const run = await cli("fetch", "org/m", "--verbose", "--colour", "red");
  expectUsageError(run, /--colour/);
});

it("refuses a FIFO as --config at once instead of blocking on it", async () => {
  const fifo = path.join(work, "config.fifo");
  execFileSync("mkfifo", [fifo]);
  expectUsageError(
    await cli("sync", "org/m", "--bucket", store, "--cache-dir", path.join(work, "cache"), "--config", fifo),
    /is not a regular file/,
  );
});

it("refuses a --config over the record limit that lookup reads with, before reading it", async () => {
  const big = path.join(work, "big.json");
  await writeFile(big, "{}");
  await truncate(big, 48 * 1024 * 1024);
  expectUsageError(
    await cli("sync", "org/m", "--bucket", store, "--cache-dir", path.join(work, "cache"), "--config", big),
    /has 50331648 bytes; an export configuration may have at most 1048576/,
  );
  // Small as a file, but its record (written indented) would pass the limit.
  const wide = path.join(work, "wide.json");
  await writeFile(wide, JSON.stringify({ values: Array.from({ length: 300_000 }, () => 1) }));
  expectUsageError(
    await cli("sync", "org/m", "--bucket", store, "--cache-dir", path.join(work, "cache"), "--config", wide),
    /would make an export record of \d+ bytes/,
  );
});
