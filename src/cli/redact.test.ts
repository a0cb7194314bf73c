import { describe, expect, it } from "vitest";
import { createRedactor } from "./redact.ts";

describe("createRedactor", () => {
  it("removes secret values of the environment wherever they appear", () => {
    const redact = createRedactor({
      HF_TOKEN: "hf_live_secret_value",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG",
    });
    expect(redact("token=hf_live_secret_value key wJalrXUtnFEMI/K7MDENG")).toBe("token=*** key ***");
  });

  it("removes token shapes that did not come from the environment", () => {
    const redact = createRedactor({});
    expect(redact("Authorization: Bearer abcdefghijklmnop")).toBe("Authorization: Bearer ***");
    expect(redact("using hf_AbCdEfGhIjKlMnOp")).toBe("using ***");
    expect(redact("https://x/y?X-Amz-Signature=deadbeef&a=1")).toBe("https://x/y?X-Amz-Signature=***&a=1");
  });

  it("leaves ordinary text alone", () => {
    expect(createRedactor({ HF_TOKEN: "" })("neuronxcc-2.21/MODULE_1+2")).toBe("neuronxcc-2.21/MODULE_1+2");
  });
});
