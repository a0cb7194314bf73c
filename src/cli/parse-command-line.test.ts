import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import type { CommandSpec } from "./command-spec.ts";
import { integerOption, parseCommandLine } from "./parse-command-line.ts";

const exec: CommandSpec = {
  name: "exec",
  summary: "",
  args: "",
  minPositionals: 0,
  maxPositionals: 0,
  takesCommand: true,
  options: { model: { type: "string", help: "" }, strict: { type: "boolean", help: "" } },
  run: async () => ({ data: null, human: () => "" }),
};
const lookup: CommandSpec = {
  ...exec,
  name: "lookup",
  args: "MODEL_ID",
  minPositionals: 1,
  maxPositionals: 1,
  takesCommand: false,
  options: { "batch-size": { type: "string", help: "" } },
};

describe("parseCommandLine", () => {
  it("splits the wrapped command after --, keeping its own flags", () => {
    const input = parseCommandLine(exec, ["--model", "org/m", "--json", "--", "python", "--strict", "-x"]);
    expect(input.values.model).toBe("org/m");
    expect(input.values.strict).toBeUndefined();
    expect(input.rest).toEqual(["python", "--strict", "-x"]);
    expect(input.json).toBe(true);
  });

  const errors = [
    { what: "an unknown option", spec: lookup, argv: ["m", "--nope"], message: /Unknown option '--nope'/ },
    { what: "a missing positional", spec: lookup, argv: [], message: /needs MODEL_ID/ },
    { what: "an extra positional", spec: lookup, argv: ["a", "b"], message: /Unexpected argument "b"/ },
    {
      what: "a command where none is taken",
      spec: lookup,
      argv: ["m", "--", "ls"],
      message: /does not run a command/,
    },
    { what: "exec without a command", spec: exec, argv: ["--model", "m"], message: /needs a command to run/ },
  ];
  for (const { what, spec, argv, message } of errors) {
    it(`rejects ${what} as a usage error`, () => {
      expect(() => parseCommandLine(spec, argv)).toThrow(UsageError);
      expect(() => parseCommandLine(spec, argv)).toThrow(message);
    });
  }

  it("reads whole numbers and rejects anything else", () => {
    expect(integerOption(parseCommandLine(lookup, ["m", "--batch-size", "4"]), "batch-size")).toBe(4);
    expect(() => integerOption(parseCommandLine(lookup, ["m", "--batch-size", "4.5"]), "batch-size")).toThrow(
      /--batch-size takes a whole number/,
    );
  });
});
