/**
 * The launcher (bin/neff-cache.js) through the real binary: the V8 code cache it keeps per
 * command is written once, reused, replaced when V8 refuses it, skipped for typos and when
 * disabled, and never a reason for a command to fail.
 */
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ProcessRun, runProcess } from "../support/run-process.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/neff-cache.js");

function runBin(args: string[], env: Record<string, string | undefined>): Promise<ProcessRun> {
  return runProcess(process.execPath, [BIN, ...args], { PATH: process.env.PATH, ...env });
}

/** The cache files of one command folder: name → bytes. */
async function cacheFiles(cacheHome: string, command: string): Promise<Map<string, Buffer>> {
  const dir = path.join(cacheHome, "neff-cache", "code-cache", command);
  const files = new Map<string, Buffer>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return files;
  }
  for (const name of names) files.set(name, await readFile(path.join(dir, name)));
  return files;
}

describe("the launcher's code cache", () => {
  let work: string;
  let cacheHome: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), "neff-launcher-"));
    cacheHome = path.join(work, "cache-home");
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("is written by the first run of a command and read, unchanged, by the next", async () => {
    const first = await runBin(["--version"], { XDG_CACHE_HOME: cacheHome });
    expect(first.code, first.stderr).toBe(0);
    const written = await cacheFiles(cacheHome, "other");
    expect(written.size).toBe(1);
    const [name, bytes] = [...written][0] as [string, Buffer];
    expect(name).toMatch(
      new RegExp(`^${process.version.replace(/\./g, "\\.")}-${process.arch}-\\d+-\\d+-\\d+\\.v8$`),
    );
    expect(bytes.length).toBeGreaterThan(1000);
    const before = await stat(path.join(cacheHome, "neff-cache", "code-cache", "other", name));

    const second = await runBin(["--version"], { XDG_CACHE_HOME: cacheHome });
    expect(second).toEqual(first);
    const after = await stat(path.join(cacheHome, "neff-cache", "code-cache", "other", name));
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect((await cacheFiles(cacheHome, "other")).get(name)?.equals(bytes)).toBe(true);
  });

  it("keeps one cache per command, with the functions that command compiled", async () => {
    await runBin(["--version"], { XDG_CACHE_HOME: cacheHome });
    // keygen loads node:path with a dynamic import, which the cached script must still resolve.
    for (const out of ["first", "second"]) {
      const run = await runBin(["keygen", "--out", path.join(work, out)], { XDG_CACHE_HOME: cacheHome });
      expect(run.code, run.stderr).toBe(0);
      expect((await stat(path.join(work, `${out}.pub`))).isFile()).toBe(true);
    }
    const other = [...(await cacheFiles(cacheHome, "other")).values()][0] as Buffer;
    const keygen = [...(await cacheFiles(cacheHome, "keygen")).values()][0] as Buffer;
    expect(keygen.length).toBeGreaterThan(other.length);
  });

  it("keeps the bundle's non-ASCII text intact", async () => {
    for (const round of ["compiles", "uses its cache"]) {
      const help = await runBin(["lookup", "--help"], { XDG_CACHE_HOME: cacheHome });
      expect(help.code, `${round}: ${help.stderr}`).toBe(0);
      expect(help.stdout).toContain("(bf16, bfloat16, fp16, …)");
    }
  });

  it("replaces a cache V8 refuses, and the command runs as without one", async () => {
    await runBin(["--version"], { XDG_CACHE_HOME: cacheHome });
    const [name] = [...(await cacheFiles(cacheHome, "other")).keys()] as [string];
    const file = path.join(cacheHome, "neff-cache", "code-cache", "other", name);
    const garbage = Buffer.alloc(4096, 0x5a);
    await writeFile(file, garbage);
    const run = await runBin(["--version"], { XDG_CACHE_HOME: cacheHome });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const rewritten = await readFile(file);
    expect(rewritten.equals(garbage)).toBe(false);
    expect(rewritten.length).toBeGreaterThan(1000);
  });

  it("writes nothing for a mistyped command, and nothing when NODE_DISABLE_COMPILE_CACHE=1", async () => {
    const typo = await runBin(["fetchh"], { XDG_CACHE_HOME: cacheHome });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Unknown command "fetchh"/);
    expect((await cacheFiles(cacheHome, "fetchh")).size).toBe(0);

    const disabled = await runBin(["--version"], {
      XDG_CACHE_HOME: cacheHome,
      NODE_DISABLE_COMPILE_CACHE: "1",
    });
    expect(disabled.code, disabled.stderr).toBe(0);
    expect((await cacheFiles(cacheHome, "other")).size).toBe(0);
  });

  it("runs the command when the cache dir cannot be created", async () => {
    // A file where the cache dir would go: even root cannot create a folder below it.
    const blocked = path.join(work, "not-a-dir");
    await writeFile(blocked, "x");
    const run = await runBin(["--version"], { XDG_CACHE_HOME: blocked });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("removes the command's caches untouched for a month when it writes one, and keeps recent ones", async () => {
    const dir = path.join(cacheHome, "neff-cache", "code-cache", "other");
    await mkdir(dir, { recursive: true });
    const old = path.join(dir, "v0.0.0-x64-1-1-1.v8");
    const recent = path.join(dir, "v0.0.1-x64-1-1-1.v8");
    await writeFile(old, "old bundle's cache");
    await writeFile(recent, "another install's cache");
    const monthsAgo = new Date(Date.now() - 40 * 24 * 3600_000);
    await utimes(old, monthsAgo, monthsAgo);
    const run = await runBin(["--version"], { XDG_CACHE_HOME: cacheHome });
    expect(run.code, run.stderr).toBe(0);
    const names = [...(await cacheFiles(cacheHome, "other")).keys()].sort();
    expect(names).toHaveLength(2);
    expect(names).toContain("v0.0.1-x64-1-1-1.v8");
    expect(names).not.toContain("v0.0.0-x64-1-1-1.v8");
  });
});
