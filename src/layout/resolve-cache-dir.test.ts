import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { requireLocalCacheDir } from "./require-local-cache-dir.ts";
import { DEFAULT_CACHE_DIR, resolveCacheDir, type CacheDirResolution } from "./resolve-cache-dir.ts";

const base = { cwd: "/work/dir", homeDir: "/home/me" };

describe("resolveCacheDir", () => {
  it.each<[string, string | undefined, Record<string, string>, CacheDirResolution]>([
    ["the default", undefined, {}, { kind: "local", path: DEFAULT_CACHE_DIR, source: "default" }],
    [
      "an explicit dir over everything",
      "/explicit",
      { NEURON_CC_FLAGS: "--cache_dir=/f", NEURON_COMPILE_CACHE_URL: "/u" },
      { kind: "local", path: "/explicit", source: "option" },
    ],
    [
      "an explicit dir even with --no_cache",
      "/explicit",
      { NEURON_CC_FLAGS: "--no_cache" },
      { kind: "local", path: "/explicit", source: "option" },
    ],
    [
      "--cache_dir over NEURON_COMPILE_CACHE_URL",
      undefined,
      { NEURON_CC_FLAGS: "--cache_dir=/f", NEURON_COMPILE_CACHE_URL: "/u" },
      { kind: "local", path: "/f", source: "NEURON_CC_FLAGS" },
    ],
    [
      "NEURON_COMPILE_CACHE_URL",
      undefined,
      { NEURON_COMPILE_CACHE_URL: "/u" },
      { kind: "local", path: "/u", source: "NEURON_COMPILE_CACHE_URL" },
    ],
    [
      "a blank variable as unset",
      undefined,
      { NEURON_COMPILE_CACHE_URL: "  ", NEURON_CC_FLAGS: "" },
      { kind: "local", path: DEFAULT_CACHE_DIR, source: "default" },
    ],
    [
      "dots in the path",
      undefined,
      { NEURON_CC_FLAGS: "--cache_dir=/data/cache.v2" },
      { kind: "local", path: "/data/cache.v2", source: "NEURON_CC_FLAGS" },
    ],
    [
      "a separate-word value",
      undefined,
      { NEURON_CC_FLAGS: "-O1 --cache_dir /data/c" },
      { kind: "local", path: "/data/c", source: "NEURON_CC_FLAGS" },
    ],
    [
      "single quotes with spaces",
      undefined,
      { NEURON_CC_FLAGS: "--cache_dir='/data/my cache'" },
      { kind: "local", path: "/data/my cache", source: "NEURON_CC_FLAGS" },
    ],
    [
      "double quotes",
      undefined,
      { NEURON_CC_FLAGS: '--cache_dir="/data/x y"' },
      { kind: "local", path: "/data/x y", source: "NEURON_CC_FLAGS" },
    ],
    [
      "~ in the flags",
      undefined,
      { NEURON_CC_FLAGS: "--cache_dir=~/nc" },
      { kind: "local", path: "/home/me/nc", source: "NEURON_CC_FLAGS" },
    ],
    ["a bare ~", "~", {}, { kind: "local", path: "/home/me", source: "option" }],
    [
      "a relative path against cwd",
      "cache",
      {},
      { kind: "local", path: "/work/dir/cache", source: "option" },
    ],
    [
      "./ and ../ paths",
      undefined,
      { NEURON_COMPILE_CACHE_URL: "../up/./c" },
      { kind: "local", path: "/work/up/c", source: "NEURON_COMPILE_CACHE_URL" },
    ],
    [
      "file:// URLs",
      undefined,
      { NEURON_COMPILE_CACHE_URL: "file:///data/c" },
      { kind: "local", path: "/data/c", source: "NEURON_COMPILE_CACHE_URL" },
    ],
    [
      "--no_cache",
      undefined,
      { NEURON_CC_FLAGS: "--no_cache --cache_dir=/f" },
      {
        kind: "disabled",
        source: "NEURON_CC_FLAGS",
        reason: "caching is disabled: NEURON_CC_FLAGS contains --no_cache",
      },
    ],
    [
      "--no-cache",
      undefined,
      { NEURON_CC_FLAGS: "--no-cache", NEURON_COMPILE_CACHE_URL: "/u" },
      {
        kind: "disabled",
        source: "NEURON_CC_FLAGS",
        reason: "caching is disabled: NEURON_CC_FLAGS contains --no_cache",
      },
    ],
    [
      "an s3 URL in the variable",
      undefined,
      { NEURON_COMPILE_CACHE_URL: "s3://b/p" },
      {
        kind: "remote",
        url: "s3://b/p",
        source: "NEURON_COMPILE_CACHE_URL",
        reason: "no local cache: the compiler caches directly in S3 (NEURON_COMPILE_CACHE_URL=s3://b/p)",
      },
    ],
    [
      "an s3 URL in the flags",
      undefined,
      { NEURON_CC_FLAGS: "--cache_dir=s3://b", NEURON_COMPILE_CACHE_URL: "/u" },
      {
        kind: "remote",
        url: "s3://b",
        source: "NEURON_CC_FLAGS",
        reason: "no local cache: the compiler caches directly in S3 (NEURON_CC_FLAGS=s3://b)",
      },
    ],
  ])("resolves %s", (_name, cacheDir, env, expected) => {
    expect(resolveCacheDir({ ...base, cacheDir, env })).toEqual(expected);
  });
});

describe("requireLocalCacheDir", () => {
  it("returns the path of a local resolution", () => {
    expect(requireLocalCacheDir({ kind: "local", path: "/c", source: "default" })).toBe("/c");
  });

  it("throws a UsageError naming S3 and the fix for a remote cache", () => {
    const resolution = resolveCacheDir({ ...base, env: { NEURON_COMPILE_CACHE_URL: "s3://b/p" } });
    expect(() => requireLocalCacheDir(resolution)).toThrow(UsageError);
    expect(() => requireLocalCacheDir(resolution)).toThrow(/caches directly in S3/);
  });

  it("throws a UsageError for disabled caching", () => {
    const resolution = resolveCacheDir({ ...base, env: { NEURON_CC_FLAGS: "--no_cache" } });
    expect(() => requireLocalCacheDir(resolution)).toThrow(/--no_cache/);
  });
});
