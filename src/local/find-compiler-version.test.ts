import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { findCompilerVersion, type RunCommand } from "./find-compiler-version.ts";
import { requireCompilerVersion } from "./require-compiler-version.ts";

const CV = "2.21.33363.0+82129205";
const absent: RunCommand = async (file) => {
  throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: "ENOENT" });
};

describe("findCompilerVersion", () => {
  it("prefers the flag, then NEFF_CACHE_COMPILER_VERSION, without running anything", async () => {
    const run: RunCommand = async () => {
      throw new Error("must not run");
    };
    expect(
      await findCompilerVersion({
        compilerVersion: "neuronxcc-1.0.0",
        env: { NEFF_CACHE_COMPILER_VERSION: CV },
        run,
      }),
    ).toEqual({ version: "1.0.0", source: "option" });
    expect(await findCompilerVersion({ env: { NEFF_CACHE_COMPILER_VERSION: CV }, run })).toEqual({
      version: CV,
      source: "NEFF_CACHE_COMPILER_VERSION",
    });
  });

  it("asks neuronx-cc, then python", async () => {
    const calls: string[] = [];
    const run: RunCommand = async (file, args) => {
      calls.push(`${file} ${args.join(" ")}`);
      if (file === "python3") return { stdout: `${CV}\n`, stderr: "" };
      return absent(file, args, { timeoutMs: 1 });
    };
    expect(await findCompilerVersion({ env: {}, run })).toEqual({ version: CV, source: "python" });
    expect(calls).toEqual([
      "neuronx-cc --version",
      "python3 -c import neuronxcc; print(neuronxcc.__version__)",
    ]);
  });

  it("returns null when nothing knows, and does not run anything with detect: false", async () => {
    expect(await findCompilerVersion({ env: {}, run: absent })).toBeNull();
    expect(await findCompilerVersion({ env: {}, detect: false, run: absent })).toBeNull();
  });

  it("rejects a malformed version", async () => {
    await expect(findCompilerVersion({ compilerVersion: "../x", env: {} })).rejects.toThrow(UsageError);
  });
});

describe("requireCompilerVersion", () => {
  it("throws a UsageError naming the flag and the variable", async () => {
    await expect(requireCompilerVersion({ env: {}, run: absent })).rejects.toMatchObject({
      name: "UsageError",
      hint: expect.stringMatching(/--compiler-version.*NEFF_CACHE_COMPILER_VERSION/),
    });
  });
});
