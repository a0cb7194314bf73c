import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import type { CommandInput, CommandSpec } from "./command-spec.ts";

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  json: { type: "boolean", help: "print one JSON document on stdout" },
  help: { type: "boolean", short: "h", help: "show help for this command" },
  verbose: { type: "boolean", short: "v", help: "log details to stderr" },
} as const;

/** Parses one command's arguments (everything after the command name). Pure. */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): CommandInput {
  const separator = argv.indexOf("--");
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const rest = separator === -1 ? [] : argv.slice(separator + 1);
  if (rest.length > 0 && !spec.takesCommand) {
    throw new UsageError(`neff-cache ${spec.name} does not run a command after "--".`, {
      hint: `See: neff-cache ${spec.name} --help`,
    });
  }
  const options = Object.fromEntries(
    Object.entries({ ...GLOBAL_OPTIONS, ...spec.options }).map(([name, option]) => [
      name,
      {
        type: option.type,
        ...("short" in option && option.short ? { short: option.short } : {}),
        ...("multiple" in option && option.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...own], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify a positional.*$/s, "")}.`, {
      hint: `See: neff-cache ${spec.name} --help`,
    });
  }
  const values = parsed.values as CommandInput["values"];
  const positionals = parsed.positionals;
  if (values.help !== true) {
    if (positionals.length < spec.minPositionals) {
      throw new UsageError(`neff-cache ${spec.name} needs ${spec.args}.`, {
        hint: `Usage: neff-cache ${spec.name} ${spec.args} [options]`,
      });
    }
    if (positionals.length > spec.maxPositionals) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[spec.maxPositionals])}.`, {
        hint: `Usage: neff-cache ${spec.name} ${spec.args} [options]`,
      });
    }
    if (spec.takesCommand && rest.length === 0) {
      throw new UsageError(`neff-cache ${spec.name} needs a command to run after "--".`, {
        hint: `Usage: neff-cache ${spec.name} ${spec.args} [options] -- COMMAND [ARGS…]`,
      });
    }
  }
  return { values, positionals, rest, json: values.json === true };
}

/** Reads a string option, or undefined. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === "string" ? value : undefined;
}

/** Reads a boolean option (absent = false). */
export function flagOption(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}

/** Reads a whole-number option, with a clear error for anything else. */
export function integerOption(input: CommandInput, name: string): number | undefined {
  const raw = stringOption(input, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) {
    throw new UsageError(`--${name} takes a whole number, not ${JSON.stringify(raw)}.`);
  }
  return Number(raw);
}
