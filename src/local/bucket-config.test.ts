import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { setBucketCommand } from "../ops/set.ts";
import { DEFAULT_BUCKET, bucketFilePath, hfHome, resolveBucket } from "./bucket-config.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bucket-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("hfHome", () => {
  it("prefers HF_HOME, then XDG_CACHE_HOME, then ~/.cache", () => {
    expect(hfHome({ HF_HOME: "/h", XDG_CACHE_HOME: "/x", HOME: "/u" })).toBe("/h");
    expect(hfHome({ XDG_CACHE_HOME: "/x", HOME: "/u" })).toBe("/x/huggingface");
    expect(hfHome({ HOME: "/u" })).toBe("/u/.cache/huggingface");
    expect(hfHome({ HF_HOME: "~/hf", HOME: "/u" })).toBe("/u/hf");
    expect(hfHome({ HF_HOME: "", XDG_CACHE_HOME: "", HOME: "/u" })).toBe("/u/.cache/huggingface");
  });
});

describe("resolveBucket", () => {
  const files = (content: string | null) => async () => content;

  it("takes the flag first", async () => {
    const result = await resolveBucket({
      flag: "flag-org/flag-bucket",
      env: { NEURON_CACHE_BUCKET: "env-org/env-bucket", HOME: dir },
      readFile: files("file-org/file-bucket"),
    });
    expect(result).toMatchObject({ value: "flag-org/flag-bucket", source: "flag" });
    expect(result.location).toEqual({ kind: "hf", namespace: "flag-org", name: "flag-bucket", prefix: "" });
  });

  it("takes NEURON_CACHE_BUCKET over the file", async () => {
    const result = await resolveBucket({
      env: { NEURON_CACHE_BUCKET: "my-org/my-cache", HOME: dir },
      readFile: files("custom-org/custom-cache"),
    });
    expect(result).toMatchObject({ value: "my-org/my-cache", source: "env" });
  });

  it("reads the stripped file content from $HF_HOME", async () => {
    let asked = "";
    const result = await resolveBucket({
      env: { HF_HOME: "/hf" },
      readFile: async (path) => {
        asked = path;
        return "  custom-org/custom-cache\n";
      },
    });
    expect(asked).toBe("/hf/optimum_neuron_cache_bucket");
    expect(result).toMatchObject({ value: "custom-org/custom-cache", source: "file", file: asked });
  });

  it("falls back to the default for a missing or empty file and empty variables", async () => {
    for (const content of [null, "", " \n"]) {
      const result = await resolveBucket({
        env: { HF_HOME: "/hf", NEURON_CACHE_BUCKET: "" },
        readFile: files(content),
      });
      expect(result).toMatchObject({ value: DEFAULT_BUCKET, source: "default" });
    }
  });

  it("accepts store URLs", async () => {
    const result = await resolveBucket({ flag: "s3://cache/neff", env: { HOME: dir } });
    expect(result.location).toEqual({ kind: "s3", bucket: "cache", prefix: "neff" });
  });

  it("names the source of an invalid value", async () => {
    await expect(resolveBucket({ env: { NEURON_CACHE_BUCKET: "not a bucket", HOME: dir } })).rejects.toThrow(
      /NEURON_CACHE_BUCKET/,
    );
    const fromFile = resolveBucket({ env: { HF_HOME: "/hf" }, readFile: files("a//b") });
    await expect(fromFile).rejects.toBeInstanceOf(UsageError);
    await expect(fromFile).rejects.toThrow(/bucket file \/hf\/optimum_neuron_cache_bucket/);
  });

  it("reads the real file by default", async () => {
    await writeFile(join(dir, "optimum_neuron_cache_bucket"), "real-org/real-bucket");
    const result = await resolveBucket({ env: { HF_HOME: dir } });
    expect(result).toMatchObject({ value: "real-org/real-bucket", source: "file" });
  });
});

describe("setBucketCommand", () => {
  it("writes the bare id without a trailing newline, creating HF_HOME", async () => {
    const env = { HF_HOME: join(dir, "new", "hf") };
    const result = await setBucketCommand({ bucket: "my-org/my-cache", env });
    expect(result).toEqual({
      bucket: "my-org/my-cache",
      file: bucketFilePath(env),
      previous: null,
      readableByOptimumNeuron: true,
    });
    expect(await readFile(bucketFilePath(env), "utf8")).toBe("my-org/my-cache");
  });

  it("returns the previous value and round-trips through resolveBucket", async () => {
    const env = { HF_HOME: dir };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "optimum_neuron_cache_bucket"), "old-org/old-cache\n");
    const result = await setBucketCommand({ bucket: "hf://buckets/new-org/new-cache", env });
    expect(result.previous).toBe("old-org/old-cache");
    expect(result.bucket).toBe("new-org/new-cache");
    expect(await resolveBucket({ env })).toMatchObject({ value: "new-org/new-cache", source: "file" });
  });

  it("keeps other stores verbatim and says optimum-neuron cannot read them", async () => {
    const result = await setBucketCommand({ bucket: "s3://team-cache/neff", env: { HF_HOME: dir } });
    expect(result).toMatchObject({ bucket: "s3://team-cache/neff", readableByOptimumNeuron: false });
  });

  it("refuses an invalid bucket and leaves the file alone", async () => {
    const env = { HF_HOME: dir };
    await expect(setBucketCommand({ bucket: "bad bucket!", env })).rejects.toBeInstanceOf(UsageError);
    await expect(readFile(bucketFilePath(env), "utf8")).rejects.toThrow(/ENOENT/);
  });
});
