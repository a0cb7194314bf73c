import { describe, expect, it } from "vitest";
import { parseNeuronCcFlags } from "./parse-neuron-cc-flags.ts";

describe("parseNeuronCcFlags", () => {
  it.each([
    [undefined, null],
    ["", null],
    ["--cache_dir=/data/cache.v2", "/data/cache.v2"],
    ["--cache_dir /data/cache", "/data/cache"],
    ["--cache-dir=/x", "/x"],
    ["--model-type=transformer --cache_dir='/a b/c' -O1", "/a b/c"],
    ['--cache_dir="~/neuron cache"', "~/neuron cache"],
    ["--cache_dir=/first --cache_dir=/second", "/second"],
    ["--cache_dir=s3://bucket/prefix", "s3://bucket/prefix"],
    ["--cache_dir", null],
  ])("reads the cache dir from %j", (flags, expected) => {
    expect(parseNeuronCcFlags(flags).cacheDir).toBe(expected);
  });

  it("detects both spellings of the no-cache flag", () => {
    expect(parseNeuronCcFlags("--no_cache").noCache).toBe(true);
    expect(parseNeuronCcFlags("-O1 --no-cache").noCache).toBe(true);
    expect(parseNeuronCcFlags("--no_cachex").noCache).toBe(false);
  });

  it("detects --retry_failed_compilation and keeps the compiler's own flags", () => {
    const parsed = parseNeuronCcFlags(
      "--retry_failed_compilation -O2 --cache_dir=/c --model-type=transformer",
    );
    expect(parsed.retryFailedCompilation).toBe(true);
    expect(parsed.compilerFlags).toEqual(["-O2", "--model-type=transformer"]);
  });
});
