import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import {
  isCurrentVersionDir,
  normalizeCompilerVersion,
  parseCompilerVersionOutput,
} from "./compiler-version.ts";

describe("parseCompilerVersionOutput", () => {
  it.each([
    ["NeuronX Compiler version 2.21.33363.0+82129205\n\nPython version 3.10.12\n", "2.21.33363.0+82129205"],
    ["2.15.128.0+56dc5a86\n", "2.15.128.0+56dc5a86"],
    ["neuronx-cc 2.7.0.40+f7c6cf2a3", "2.7.0.40+f7c6cf2a3"],
    ["NeuronX Compiler version 2.20.9961.0", "2.20.9961.0"],
    ["command not found", null],
    ["Python version 3.10.12", null],
  ])("reads %j", (output, expected) => {
    expect(parseCompilerVersionOutput(output)).toBe(expected);
  });
});

describe("normalizeCompilerVersion", () => {
  it("drops a neuronxcc- prefix and whitespace", () => {
    expect(normalizeCompilerVersion(" neuronxcc-2.21.33363.0+82129205 ")).toBe("2.21.33363.0+82129205");
  });

  it.each(["", "../x", "a/b", "1..2", " "])("rejects %j", (value) => {
    expect(() => normalizeCompilerVersion(value)).toThrow(UsageError);
  });
});

describe("isCurrentVersionDir", () => {
  it.each([
    ["neuronxcc-2.21.33363.0+82129205", "2.21.33363.0+82129205", true],
    ["neuronxcc-2.21.33363.0+82129205", "2.21.33363.0", true],
    ["neuronxcc-2.21.33363.0+82129205", "2.21.3", false],
    ["neuronxcc-2.20.9961.0+0acef03a", "2.21.33363.0+82129205", false],
    ["neuronxcc-2.21.33363.0", "2.21.33363.0", true],
  ])("%s is current for %s: %s", (dir, version, expected) => {
    expect(isCurrentVersionDir(dir, version)).toBe(expected);
  });
});
