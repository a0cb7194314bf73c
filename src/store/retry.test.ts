import { describe, expect, it } from "vitest";
import { StoreStalledError } from "../errors.ts";
import {
  classifyTransferError,
  createStallWatch,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDelayMs,
  withRetry,
} from "./retry.ts";

describe("withRetry", () => {
  it("retries retryable failures and returns the first success", async () => {
    const attempts: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error("503");
        return "ok";
      },
      { classify: () => ({ retry: true }), policy: { baseDelayMs: 1 } },
    );
    expect(result).toBe("ok");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("gives up at once on a failure that is not retryable", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Error("403");
        },
        { classify: () => ({ retry: false }) },
      ),
    ).rejects.toThrow("403");
    expect(calls).toBe(1);
  });

  it("stops after maxAttempts", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Error("500");
        },
        { classify: () => ({ retry: true }), policy: { maxAttempts: 3, baseDelayMs: 1 } },
      ),
    ).rejects.toThrow("500");
    expect(calls).toBe(3);
  });

  it("does not start a retry that would pass the total time budget", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Error("429");
        },
        { classify: () => ({ retry: true, retryAfterMs: 5_000 }), policy: { maxTotalMs: 1_000 } },
      ),
    ).rejects.toThrow("429");
    expect(calls).toBe(1);
  });

  it("stops waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const pending = withRetry(
      async () => {
        throw new Error("503");
      },
      { signal: controller.signal, classify: () => ({ retry: true, retryAfterMs: 30_000 }) },
    );
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("retryDelayMs", () => {
  it("grows exponentially within the jitter band and the cap", () => {
    expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, undefined, () => 0)).toBe(100);
    expect(retryDelayMs(3, DEFAULT_RETRY_POLICY, undefined, () => 1)).toBe(800);
    expect(retryDelayMs(20, DEFAULT_RETRY_POLICY, undefined, () => 1)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it("waits at least as long as Retry-After asks", () => {
    expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, 3_000, () => 0)).toBe(3_000);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2_000);
    expect(
      parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", Date.parse("Thu, 01 Jan 2026 00:00:00 GMT")),
    ).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe("classifyTransferError", () => {
  const withCode = (code: string, message = "x"): Error => Object.assign(new Error(message), { code });
  it.each([
    ["a reset", withCode("ECONNRESET", "aborted"), true],
    ["Node's aborted body", new Error("aborted"), true],
    ["undici's terminated body", new TypeError("terminated"), true],
    ["a premature close", withCode("ERR_STREAM_PREMATURE_CLOSE"), true],
    ["an idle timeout", Object.assign(new Error("t"), { name: "TimeoutError" }), true],
    ["a reset inside a cause", new Error("fetch failed", { cause: withCode("UND_ERR_SOCKET") }), true],
    ["a store error judged retryable", Object.assign(new Error("503"), { retryable: true }), true],
    [
      "a store error judged final",
      Object.assign(new Error("403"), { retryable: false, code: "ECONNRESET" }),
      false,
    ],
    ["a full disk", withCode("ENOSPC"), false],
    ["wrong bytes", new Error("has sha256 ab, expected cd"), false],
  ])("%s → retry %s", (_name, error, retry) => {
    expect(classifyTransferError(error).retry).toBe(retry);
  });
});

describe("createStallWatch", () => {
  const timeout = (): Error => Object.assign(new Error("no answer"), { code: "ETIMEDOUT" });
  const failing = (errors: Error[]) => {
    let index = 0;
    return async (): Promise<never> => {
      throw errors[Math.min(index++, errors.length - 1)];
    };
  };

  it("declares the store stalled after `limit` timeouts in a row, tells once, and fails later calls at once", async () => {
    const told: StoreStalledError[] = [];
    const stall = createStallWatch({
      store: "s3://b/p",
      limit: 3,
      timeoutMs: 1500,
      onStalled: (e) => told.push(e),
    });
    const fast = { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 10 };
    const failure = await withRetry(failing([timeout()]), {
      classify: () => ({ retry: true }),
      policy: fast,
      stall,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreStalledError);
    expect((failure as StoreStalledError).message).toMatch(
      /^s3:\/\/b\/p answered none of 3 requests in a row within their timeout of 2 s/,
    );
    expect((failure as StoreStalledError).code).toBe("E_STORE_STALLED");
    expect((failure as StoreStalledError).exitCode).toBe(4);
    let called = 0;
    const later = await withRetry(async () => ++called, { classify: () => ({ retry: true }), stall }).catch(
      (error: unknown) => error,
    );
    expect(later).toBe(failure);
    expect(called).toBe(0);
    expect(told).toEqual([failure]);
    expect(stall.signal.aborted).toBe(true);
  });

  it.each([
    { name: "a success in between starts the count again", between: "success" as const, stalls: false },
    {
      name: "an answered failure in between leaves the count alone",
      between: "status" as const,
      stalls: true,
    },
  ])("$name", async ({ between, stalls }) => {
    const stall = createStallWatch({ store: "hf://buckets/a/b", limit: 4 });
    const one = (fn: () => Promise<unknown>) =>
      withRetry(fn, { classify: () => ({ retry: false }), stall }).catch((error: unknown) => error);
    await one(failing([timeout()]));
    await one(failing([timeout()]));
    await one(between === "success" ? async () => "ok" : failing([new Error("HTTP 503")]));
    await one(failing([timeout()]));
    const last = await one(failing([Object.assign(new Error("late"), { name: "TimeoutError" })]));
    expect(last instanceof StoreStalledError).toBe(stalls);
  });

  it("ends a retry's wait as soon as another call declares the store stalled", async () => {
    const stall = createStallWatch({ store: "s3://b", limit: 1 });
    const waiting = withRetry(failing([new Error("HTTP 503")]), {
      classify: () => ({ retry: true, retryAfterMs: 60_000 }),
      policy: { maxAttempts: 3, maxTotalMs: 600_000 },
      stall,
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await withRetry(failing([timeout()]), { classify: () => ({ retry: false }), stall }).catch(
      () => undefined,
    );
    expect(await waiting).toBeInstanceOf(StoreStalledError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
