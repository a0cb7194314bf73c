import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { formatStoreUrl, parseStoreUrl } from "./store-url.ts";

describe("parseStoreUrl", () => {
  const accepted = [
    {
      what: "bare bucket id",
      value: "aws-neuron/optimum-neuron-neff-cache",
      want: { kind: "hf", namespace: "aws-neuron", name: "optimum-neuron-neff-cache", prefix: "" },
    },
    {
      what: "hf URL with prefix",
      value: "hf://buckets/ns/name/team/a/",
      want: { kind: "hf", namespace: "ns", name: "name", prefix: "team/a" },
    },
    { what: "s3 bucket", value: "s3://my-bucket", want: { kind: "s3", bucket: "my-bucket", prefix: "" } },
    {
      what: "s3 with prefix",
      value: "s3://my-bucket/neff/cache",
      want: { kind: "s3", bucket: "my-bucket", prefix: "neff/cache" },
    },
    { what: "file URL", value: "file:///srv/neff%20cache", want: { kind: "dir", path: "/srv/neff cache" } },
    { what: "absolute path", value: "/mnt/fsx/cache", want: { kind: "dir", path: "/mnt/fsx/cache" } },
    { what: "relative path", value: "./cache", want: { kind: "dir", path: "./cache" } },
  ] as const;
  for (const { what, value, want } of accepted) {
    it(`accepts a ${what}`, () => {
      expect(parseStoreUrl(value)).toEqual(want);
    });
  }

  it("expands ~ with the given home", () => {
    expect(parseStoreUrl("~/cache", "/home/u")).toEqual({ kind: "dir", path: "/home/u/cache" });
  });

  const rejected = [
    { what: "an empty value", value: "  ", problem: "empty" },
    { what: "a single segment", value: "just-a-name", problem: "<namespace>/<name>" },
    { what: "an hf model repo", value: "hf://meta-llama/Llama-3", problem: "only Hugging Face buckets" },
    { what: "an unknown scheme", value: "gs://bucket", problem: 'scheme "gs://"' },
    { what: "a bad S3 bucket name", value: "s3://a", problem: "not a valid S3 bucket name" },
    { what: "a prefix with ..", value: "s3://bucket/a/../b", problem: '".." segment' },
    { what: "a bucket name with ..", value: "ns/na..me", problem: "not a valid Hugging Face" },
    { what: "a relative file URL", value: "file://relative/path", problem: "absolute path" },
  ];
  for (const { what, value, problem } of rejected) {
    it(`rejects ${what} with a message naming the fix`, () => {
      let caught: unknown;
      try {
        parseStoreUrl(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as UsageError).message).toContain(problem);
      expect((caught as UsageError).hint).toContain("s3://<bucket>");
    });
  }

  it("formats back to a canonical URL", () => {
    expect(formatStoreUrl(parseStoreUrl("ns/b"))).toBe("hf://buckets/ns/b");
    expect(formatStoreUrl(parseStoreUrl("s3://b-1/p/q/"))).toBe("s3://b-1/p/q");
    expect(formatStoreUrl(parseStoreUrl("/x/y"))).toBe("file:///x/y");
  });
});
