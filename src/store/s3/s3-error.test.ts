import { describe, expect, it } from "vitest";
import { NotFoundError, StoreError } from "../../errors.ts";
import { fromSdkError } from "./sdk-transport.ts";
import { classifyS3Error, mapS3Error, S3ResponseError } from "./s3-error.ts";

const refusal = (code: string, status: number, retryAfter?: string) =>
  new S3ResponseError(status, code, code, retryAfter);
/** A failure the SDK makes itself, without an answer (a socket timeout, no credentials). */
const localError = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });
const netError = (code: string) => Object.assign(new Error(code), { code });

describe("classifyS3Error", () => {
  const cases: Array<{ what: string; error: unknown; retry: boolean; retryAfterMs?: number }> = [
    {
      what: "503 with Retry-After",
      error: refusal("ServiceUnavailable", 503, "2"),
      retry: true,
      retryAfterMs: 2000,
    },
    { what: "429", error: refusal("TooManyRequests", 429), retry: true },
    { what: "SlowDown with a 400", error: refusal("SlowDown", 400), retry: true },
    {
      what: "a body damaged on the way (payload hash mismatch)",
      error: refusal("XAmzContentSHA256Mismatch", 400),
      retry: true,
    },
    {
      what: "a body damaged on the way (Content-MD5 mismatch)",
      error: refusal("BadDigest", 400),
      retry: true,
    },
    { what: "RequestTimeTooSkewed", error: refusal("RequestTimeTooSkewed", 403), retry: true },
    { what: "404", error: refusal("NoSuchKey", 404), retry: false },
    { what: "403", error: refusal("AccessDenied", 403), retry: false },
    { what: "412", error: refusal("PreconditionFailed", 412), retry: false },
    { what: "a reset connection", error: netError("ECONNRESET"), retry: true },
    {
      what: "a refused connection inside an AggregateError",
      error: Object.assign(new AggregateError([netError("ECONNREFUSED")]), {}),
      retry: true,
    },
    { what: "an idle socket timeout", error: localError("TimeoutError"), retry: true },
    { what: "a programming error", error: new TypeError("x is undefined"), retry: false },
  ];
  for (const { what, error, retry, retryAfterMs } of cases) {
    it(`${retry ? "retries" : "does not retry"} ${what}`, () => {
      const decision = classifyS3Error(error, 0);
      expect(decision.retry).toBe(retry);
      if (retryAfterMs !== undefined) expect(decision.retryAfterMs).toBe(retryAfterMs);
    });
  }

  for (const code of ["ExpiredToken", "TokenRefreshRequired"]) {
    it(`retries ${code} only when the credentials renew themselves`, () => {
      const error = refusal(code, 400);
      expect(classifyS3Error(error, 0, { renewingCredentials: true }).retry).toBe(true);
      // Static keys with a session token: the same token would be sent again.
      expect(classifyS3Error(error, 0, { renewingCredentials: false }).retry).toBe(false);
      expect(classifyS3Error(error, 0).retry).toBe(false);
    });
  }
});

describe("mapS3Error", () => {
  const context = { bucket: "b", endpoint: "http://127.0.0.1:9", action: "list" };

  it("turns NoSuchBucket into a NotFoundError with the create command", () => {
    const error = mapS3Error(refusal("NoSuchBucket", 404), { ...context, key: "x" });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.hint).toContain("neff-cache create s3://b");
  });

  it("names the credentials for SignatureDoesNotMatch", () => {
    const error = mapS3Error(refusal("SignatureDoesNotMatch", 403), context);
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
    const error = mapS3Error(refusal("InvalidRange", 416), { ...context, key: "k", action: "read" });
    expect(error.message).toBe("[s3] S3 refused to read s3://b/k: InvalidRange (HTTP 416).");
  });

  it("says why a body being sent failed, instead of blaming S3", () => {
    const source = new Error("neuronxcc-2/MODULE_x/model.neff: sha256 does not match the entry manifest");
    const error = mapS3Error(source, { ...context, key: "k", action: "write" });
    expect(error.message).toBe(
      "[s3] Could not write s3://b/k: neuronxcc-2/MODULE_x/model.neff: sha256 does not match the entry manifest.",
    );
  });
});

describe("fromSdkError", () => {
  const sdkException = (name: string, status: number, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`${name} message`), {
      name,
      $fault: "client",
      $metadata: { httpStatusCode: status },
      $response: { headers },
    });

  it("turns an answer into an S3ResponseError with its status, code and Retry-After", () => {
    const error = fromSdkError(sdkException("SlowDown", 503, { "retry-after": "3" }));
    expect(error).toBeInstanceOf(S3ResponseError);
    expect(error).toMatchObject({
      status: 503,
      code: "SlowDown",
      retryAfter: "3",
      message: "SlowDown message",
    });
    expect(classifyS3Error(error, 0)).toEqual({ retry: true, retryAfterMs: 3000 });
  });

  it("names a body-less answer after its status, as the fast transport does", () => {
    expect(fromSdkError(sdkException("403", 403))).toMatchObject({ status: 403, code: "Http403" });
    expect(fromSdkError(sdkException("Unknown", 500))).toMatchObject({ status: 500, code: "Http500" });
    expect(fromSdkError(sdkException("NotFound", 404))).toMatchObject({ status: 404, code: "NotFound" });
  });

  it("leaves failures without an answer as they are", () => {
    const timeout = localError("TimeoutError");
    expect(fromSdkError(timeout)).toBe(timeout);
    const reset = netError("ECONNRESET");
    expect(fromSdkError(reset)).toBe(reset);
  });
});
