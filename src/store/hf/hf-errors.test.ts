import { describe, expect, it } from "vitest";
import { hfNetworkError, hfStatusError, redactSecrets } from "./hf-errors.ts";

const context = {
  bucket: "ns/b",
  endpoint: "http://127.0.0.1:1",
  access: "write" as const,
  action: "upload 1 file(s)",
};

describe("hfStatusError", () => {
  it("tells how to set a token on 401", () => {
    const error = hfStatusError(401, context);
    expect(error.message).toContain("token rejected or missing; set HF_TOKEN or run `hf auth login`");
    expect(error).toMatchObject({ retryable: false, exitCode: 5 });
  });

  it("names the bucket on 403", () => {
    expect(hfStatusError(403, context).message).toContain("token lacks write access to ns/b");
  });

  it("says how to create a missing bucket on 404, as a not-found error", () => {
    const error = hfStatusError(404, context, { errorCode: "RepoNotFound" });
    expect(error.message).toContain("bucket ns/b does not exist; create it with `neff-cache create ns/b`");
    expect(error).toMatchObject({ code: "E_STORE_MISSING", exitCode: 3 });
  });

  it("marks 429 and 5xx as retryable", () => {
    expect(hfStatusError(429, context)).toMatchObject({ retryable: true, exitCode: 4 });
    expect(hfStatusError(503, context)).toMatchObject({ retryable: true, exitCode: 4 });
  });
});

describe("hfNetworkError", () => {
  it("names the endpoint and the network code", () => {
    const error = hfNetworkError(context, new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }));
    expect(error.message).toContain("http://127.0.0.1:1");
    expect(error.message).toContain("ECONNREFUSED");
  });
});

describe("redactSecrets", () => {
  it("removes known secrets, hf_ tokens, bearer values and URL queries", () => {
    const text = redactSecrets(
      "token s3cr3t-value, hf_abcdefghijkl, Authorization: Bearer xet_123, https://cas/xorb/h?X-Xet-Signed-Range=1&Sig=2 end",
      ["s3cr3t-value"],
    );
    expect(text).toBe("token ***, hf_***, Authorization: Bearer ***, https://cas/xorb/h?*** end");
  });
});
