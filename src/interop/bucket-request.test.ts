import { describe, expect, it } from "vitest";
import { StoreError } from "../errors.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { formatPythonStyleError, handleBucketRequest } from "./bucket-request.ts";
import type { BucketMethodHandlers } from "./bucket-request.ts";

function recordingHandlers(): BucketMethodHandlers & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    listBucketTree: async (params) => {
      calls.push(["list", params]);
      return { items: [] };
    },
    downloadBucketFiles: async (params) => {
      calls.push(["download", params]);
      return { downloaded: params.files.length };
    },
    batchBucketFiles: async (params) => {
      calls.push(["batch", params]);
      return { added: params.add.length, deleted: params.delete.length };
    },
  };
}

describe("handleBucketRequest", () => {
  const cases: ReadonlyArray<{ what: string; request: string; response: PyJsonObject }> = [
    { what: "ping", request: '{"method": "ping"}', response: { status: "ok" } },
    {
      what: "ping with empty params",
      request: '{"method": "ping", "params": {}}',
      response: { status: "ok" },
    },
    {
      what: "an unknown method",
      request: '{"method": "x", "params": {}}',
      response: { error: "Unknown method: x" },
    },
    { what: "a null method", request: '{"method": null}', response: { error: "Unknown method: None" } },
    { what: "no method", request: '{"params": {}}', response: { error: "KeyError: 'method'" } },
    {
      what: "invalid JSON",
      request: "{nope",
      response: { error: "JSONDecodeError: expecting property name enclosed in double quotes at offset 1" },
    },
    {
      what: "a non-object request",
      request: "[]",
      response: { error: "TypeError: the request must be a JSON object" },
    },
    {
      what: "params that are not a mapping",
      request: '{"method": "ping", "params": [1]}',
      response: { error: "TypeError: argument after ** must be a mapping, not list" },
    },
    {
      what: "an unexpected parameter",
      request: '{"method": "list_bucket_tree", "params": {"bucket_id": "a/b", "depth": 1}}',
      response: { error: "TypeError: list_bucket_tree() got an unexpected keyword argument 'depth'" },
    },
    {
      what: "a missing parameter",
      request: '{"method": "list_bucket_tree", "params": {}}',
      response: {
        error: "TypeError: list_bucket_tree() missing 1 required positional argument: 'bucket_id'",
      },
    },
    {
      what: "two missing parameters",
      request: '{"method": "download_bucket_files", "params": {}}',
      response: {
        error:
          "TypeError: download_bucket_files() missing 2 required positional arguments: 'bucket_id' and 'files'",
      },
    },
    {
      what: "a bad pair",
      request: '{"method": "download_bucket_files", "params": {"bucket_id": "a/b", "files": [["x"]]}}',
      response: { error: "TypeError: files[0] must be a [str, str] pair" },
    },
    {
      what: "a non-bool recursive",
      request: '{"method": "list_bucket_tree", "params": {"bucket_id": "a/b", "recursive": "yes"}}',
      response: { error: "TypeError: recursive must be a bool, not str" },
    },
    {
      what: "a list call",
      request:
        '{"method": "list_bucket_tree", "params": {"bucket_id": "a/b", "prefix": null, "recursive": true}}',
      response: { items: [] },
    },
    {
      what: "a batch without add or delete",
      request: '{"method": "batch_bucket_files", "params": {"bucket_id": "a/b", "add": null}}',
      response: { added: 0, deleted: 0 },
    },
  ];
  it.each(cases)("answers $what", async ({ request, response }) => {
    expect(await handleBucketRequest(request, recordingHandlers())).toEqual(response);
  });

  it("passes parameters with their defaults", async () => {
    const handlers = recordingHandlers();
    await handleBucketRequest('{"method": "list_bucket_tree", "params": {"bucket_id": "a/b"}}', handlers);
    await handleBucketRequest(
      '{"method": "batch_bucket_files", "params": {"bucket_id": "a/b", "add": [["bytes:x", "k"]], "delete": ["d"]}}',
      handlers,
    );
    expect(handlers.calls).toEqual([
      ["list", { bucketId: "a/b", prefix: null, recursive: false }],
      ["batch", { bucketId: "a/b", add: [["bytes:x", "k"]], delete: ["d"] }],
    ]);
  });

  it("turns a handler's exception into Type: message", async () => {
    const handlers = recordingHandlers();
    handlers.listBucketTree = async () => {
      throw new StoreError("bucket not found", { store: "hf", status: 404, retryable: false });
    };
    expect(
      await handleBucketRequest('{"method": "list_bucket_tree", "params": {"bucket_id": "a/b"}}', handlers),
    ).toEqual({
      error: "StoreError: [hf] bucket not found (HTTP 404)",
    });
  });
});

describe("formatPythonStyleError", () => {
  it("keeps a retryable status visible to optimum-neuron's retry check", () => {
    const error = new StoreError("slow down", { store: "s3", status: 503, retryable: true });
    expect(formatPythonStyleError(error)).toBe("StoreError: [s3] slow down (HTTP 503)");
  });

  it("does not repeat a status already in the message", () => {
    const error = new StoreError("HTTP 429 Too Many Requests", { store: "hf", status: 429, retryable: true });
    expect(formatPythonStyleError(error)).toBe("StoreError: [hf] HTTP 429 Too Many Requests");
  });

  it("formats non-errors", () => {
    expect(formatPythonStyleError("boom")).toBe("Exception: boom");
  });
});
