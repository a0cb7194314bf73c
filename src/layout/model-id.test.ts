import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { DEFAULT_TASK, modelIdProblem, validateModelId, validateTask } from "./model-id.ts";

describe("validateModelId", () => {
  it.each(["meta-llama/Llama-3.1-8B", "local-model", "gpt2", "org_1/model.v2", "a/b"])("accepts %s", (id) => {
    expect(validateModelId(id)).toBe(id);
  });

  const rejected: ReadonlyArray<{ what: string; id: string; problem: string }> = [
    { what: "empty", id: "", problem: "empty" },
    { what: "absolute path", id: "/home/u/model", problem: "absolute path" },
    { what: "windows path", id: "C:\\models\\x", problem: "absolute path" },
    { what: "home path", id: "~/model", problem: "home-relative" },
    { what: "parent segment", id: "../model", problem: '".."' },
    { what: "dot segment", id: "./model", problem: '"."' },
    { what: "dots inside", id: "org/a..b", problem: '".."' },
    { what: "empty segment", id: "org//model", problem: "empty segment" },
    { what: "trailing slash", id: "org/", problem: "empty segment" },
    { what: "backslash", id: "org\\model", problem: "backslash" },
    { what: "control character", id: "org/mo\ndel", problem: "control character" },
    { what: "two slashes", id: "a/b/c", problem: "more than one '/'" },
    { what: "MODULE segment", id: "MODULE_abc/model", problem: "compile-cache entry" },
    { what: "lowercase module segment", id: "org/module_x", problem: "compile-cache entry" },
    { what: "exports segment", id: "org/exports", problem: "export records" },
    { what: "compiler dir segment", id: "neuronxcc-2.1/model", problem: "compiler version" },
    { what: "space", id: "org/my model", problem: "may only use" },
    { what: "leading dash", id: "-org/model", problem: "may only use" },
    { what: "too long", id: "a".repeat(97), problem: "longer than 96" },
  ];
  it.each(rejected)("rejects $what", ({ id, problem }) => {
    expect(modelIdProblem(id)).toContain(problem);
    expect(() => validateModelId(id)).toThrow(UsageError);
  });

  it("tells a user who passed a local path how to fix it", () => {
    try {
      validateModelId("/home/u/model");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toContain("absolute path");
      expect((error as UsageError).hint).toContain("--model my-org/my-model");
    }
  });
});

describe("validateTask", () => {
  it("defaults a missing or empty task to default", () => {
    expect(validateTask()).toBe(DEFAULT_TASK);
    expect(validateTask(null)).toBe("default");
    expect(validateTask("")).toBe("default");
  });

  it("accepts a task segment", () => {
    expect(validateTask("text-generation")).toBe("text-generation");
  });

  it.each(["a/b", "..", "exports", "MODULE_x", "neuronxcc-1", "with space", ".hidden", "a\\b"])(
    "rejects %j",
    (task) => {
      expect(() => validateTask(task)).toThrow(UsageError);
    },
  );
});
