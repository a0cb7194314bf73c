import { describe, expect, it } from "vitest";
import { assertStoreKey, joinKey, storeKeyProblem } from "./store-key.ts";

describe("storeKeyProblem", () => {
  const cases = [
    { key: "neuronxcc-1/MODULE_a+b/model.neff", problem: null },
    { key: "odd keys/with spaces+plus/ünï/%20", problem: null },
    { key: "", problem: "it is empty" },
    { key: "/etc/passwd", problem: "it is absolute" },
    { key: "a/../../b", problem: 'it has a ".." segment' },
    { key: "a/./b", problem: 'it has a "." segment' },
    { key: "a//b", problem: "it has an empty path segment" },
    { key: "a\\b", problem: "it contains a backslash" },
    { key: "a\nb", problem: "it contains a control character" },
  ];
  for (const { key, problem } of cases) {
    it(`${problem === null ? "accepts" : "rejects"} ${JSON.stringify(key)}`, () => {
      expect(storeKeyProblem(key)).toBe(problem);
    });
  }

  it("throws from assertStoreKey with the key and the reason", () => {
    expect(() => assertStoreKey("../x")).toThrow(/Invalid store key "\.\.\/x": it has a "\.\." segment/);
  });

  it("joins parts and skips empty ones", () => {
    expect(joinKey("", "a", "b/c")).toBe("a/b/c");
  });
});
