import { describe, expect, it } from "vitest";
import {
  compileDurationMs,
  diffFlags,
  entryKeyFactors,
  parseCompileFlags,
  splitModuleName,
} from "./key-factors.ts";

describe("key factors", () => {
  it("splits a MODULE name into graph and flags hash, legacy names without a flags hash", () => {
    expect(splitModuleName("MODULE_98ba4c9111d5882d2331+39f12043")).toEqual({
      graphHash: "98ba4c9111d5882d2331",
      flagsHash: "39f12043",
    });
    expect(splitModuleName("MODULE_0123456789abcdef0123")).toEqual({
      graphHash: "0123456789abcdef0123",
      flagsHash: null,
    });
  });

  it.each([
    ['["--model-type=transformer", "-O1"]', ["--model-type=transformer", "-O1"]],
    ["[]", []],
    ["--model-type=transformer", null],
    ['{"a": 1}', null],
    ["[1]", null],
  ])("reads compile_flags.json %s", (text, flags) => {
    expect(parseCompileFlags(text)).toEqual(flags);
  });

  it("diffs flag lists as sets", () => {
    expect(diffFlags(["-O1", "--a"], ["--a", "-O2", "--b"])).toEqual({
      added: ["-O1"],
      removed: ["-O2", "--b"],
    });
    expect(diffFlags(["--a", "--b"], ["--b", "--a"])).toEqual({ added: [], removed: [] });
  });

  it.each([
    {
      what: "from the first input to the last output",
      times: { dirBirthMs: 0, inputMtimesMs: [1000, 1200], outputMtimesMs: [61_000, 61_050] },
      notBefore: 0,
      ms: 60_050,
    },
    {
      what: "never from before the command started",
      times: { dirBirthMs: 500, inputMtimesMs: [900], outputMtimesMs: [5000] },
      notBefore: 2000,
      ms: 3000,
    },
    {
      what: "null without outputs",
      times: { dirBirthMs: 500, inputMtimesMs: [900], outputMtimesMs: [0, 0] },
      notBefore: 0,
      ms: null,
    },
    {
      what: "null when the clock went backwards",
      times: { dirBirthMs: 0, inputMtimesMs: [9000], outputMtimesMs: [5000] },
      notBefore: 0,
      ms: null,
    },
  ])("measures a compile $what", ({ times, notBefore, ms }) => {
    expect(compileDurationMs(times, notBefore)).toBe(ms);
  });

  it("records only what is known", () => {
    expect(entryKeyFactors({})).toEqual({});
    expect(entryKeyFactors({ flagsBytes: Buffer.from("not json"), compileMs: 5 })).toEqual({ compileMs: 5 });
    expect(entryKeyFactors({ flagsBytes: Buffer.from('["-O1"]'), exportConfigHash: "0a1b2c3d" })).toEqual({
      compileFlags: ["-O1"],
      exportConfigHash: "0a1b2c3d",
    });
  });
});
