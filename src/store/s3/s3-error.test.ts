import { describe, expect, it } from "vitest";
import { NotFoundError, StoreError } from "../../errors.ts";
import { classifyS3Error, mapS3Error } from "./s3-error.ts";

const sdkError = (name: string, status?: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(name), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
    $response: { headers },
  });
const netError = (code: string) => Object.assign(new Error(code), { code });

describe("classifyS3Error", () => {
  const cases: Array<{ what: string; error: unknown; retry: boolean; retryAfterMs?: number }> = [
    {
      what: "503 with Retry-After",
      error: sdkError("ServiceUnavailable", 503, { "retry-after": "2" }),
      retry: true,
      retryAfterMs: 2000,
    },
    { what: "429", error: sdkError("TooManyRequests", 429), retry: true },
    { what: "SlowDown without a status", error: sdkError("SlowDown"), retry: true },
    { what: "404", error: sdkError("NoSuchKey", 404), retry: false },
    { what: "403", error: sdkError("AccessDenied", 403), retry: false },
    { what: "412", error: sdkError("PreconditionFailed", 412), retry: false },
    { what: "a reset connection", error: netError("ECONNRESET"), retry: true },
    {
      what: "a refused connection inside an AggregateError",
      error: Object.assign(new AggregateError([netError("ECONNREFUSED")]), {}),
      retry: true,
    },
    { what: "an idle socket timeout", error: sdkError("TimeoutError"), retry: true },
    { what: "a programming error", error: new TypeError("x is undefined"), retry: false },
  ];
  for (const { what, error, retry, retryAfterMs } of cases) {
    it(`${retry ? "retries" : "does not retry"} ${what}`, () => {
      const decision = classifyS3Error(error, 0);
      expect(decision.retry).toBe(retry);
      if (retryAfterMs !== undefined) expect(decision.retryAfterMs).toBe(retryAfterMs);
    });
  }
});

describe("mapS3Error", () => {
  const context = { bucket: "b", endpoint: "http://127.0.0.1:9", action: "list" };

  it("turns NoSuchBucket into a NotFoundError with the create command", () => {
    const error = mapS3Error(sdkError("NoSuchBucket", 404), { ...context, key: "x" });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.hint).toContain("neff-cache create s3://b");
  });

  it("names the credentials for SignatureDoesNotMatch", () => {
    const error = mapS3Error(sdkError("SignatureDoesNotMatch", 403), context);
    expect(error).toMatchObject({ code: "E_STORE_AUTH", exitCode: 5 });
    expect(error.hint).toMatch(/AWS_ACCESS_KEY_ID/);
  });

  it("names the endpoint when it cannot be reached", () => {
    const error = mapS3Error(new AggregateError([netError("ECONNREFUSED")]), context);
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toContain("Cannot reach the S3 endpoint http://127.0.0.1:9");
    expect((error as StoreError).retryable).toBe(true);
  });

  it("keeps other refusals with their code and status", () => {
    const error = mapS3Error(sdkError("InvalidRange", 416), { ...context, key: "k", action: "read" });
    expect(error.message).toBe("[s3] S3 refused to read s3://b/k: InvalidRange (HTTP 416).");
  });
});
