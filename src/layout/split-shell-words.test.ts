import { describe, expect, it } from "vitest";
import { splitShellWords } from "./split-shell-words.ts";

describe("splitShellWords", () => {
  it.each([
    ["", []],
    ["   ", []],
    ["--a --b", ["--a", "--b"]],
    ["  --a\t\n--b  ", ["--a", "--b"]],
    ["--cache_dir='/my dir/x'", ["--cache_dir=/my dir/x"]],
    ['--cache_dir="/my dir/x"', ["--cache_dir=/my dir/x"]],
    ['"a \\"b\\" \\\\ c"', ['a "b" \\ c']],
    ["'a \\b'", ["a \\b"]],
    ["a\\ b c", ["a b", "c"]],
    ["''", [""]],
    ["x'y'\"z\"", ["xyz"]],
    ["'unterminated rest", ["unterminated rest"]],
  ])("splits %j", (input, expected) => {
    expect(splitShellWords(input)).toEqual(expected);
  });
});
