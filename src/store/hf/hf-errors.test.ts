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
    expect(error.retryable).toBe(false);
  });

  it("names the bucket on 403", () => {
    expect(hfStatusError(403, context).message).toContain("token lacks write access to ns/b");
  });

  it("says how to create a missing bucket on 404", () => {
    expect(hfStatusError(404, context, { errorCode: "RepoNotFound" }).message).toContain(
      "bucket ns/b does not exist; create it with `neff-cache create ns/b`",
    );
  });

  it("marks 429 and 5xx as retryable", () => {
    expect(hfStatusError(429, context).retryable).toBe(true);
    expect(hfStatusError(503, context).retryable).toBe(true);
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
