import type { CommandSpec, OptionSpec } from "../command-spec.ts";
import { GLOBAL_OPTIONS } from "../parse-command-line.ts";

/** The top-level help: one line per command. */
export function renderMainHelp(commands: readonly CommandSpec[], version: string): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `neff-cache ${version} — share compiled Neuron artifacts (NEFFs) through buckets and directories`,
    "",
    "Usage: neff-cache <command> [options]",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run `neff-cache <command> --help` for a command's options. `--json` prints one JSON document on stdout.",
  ].join("\n");
}

/** The help of one command. */
export function renderCommandHelp(command: CommandSpec): string {
  const entries: Array<[string, OptionSpec]> = [
    ...Object.entries(command.options),
    ...(Object.entries(GLOBAL_OPTIONS) as Array<[string, OptionSpec]>),
  ];
  const labels = entries.map(([name, option]) => {
    const short = option.short ? `-${option.short}, ` : "";
    return `${short}--${name}${option.type === "string" ? ` ${option.value ?? "VALUE"}` : ""}`;
  });
  const width = Math.max(...labels.map((label) => label.length));
  const usage = `neff-cache ${command.name}${command.args ? ` ${command.args}` : ""} [options]${
    command.takesCommand ? " -- COMMAND [ARGS…]" : ""
  }`;
  return [
    `Usage: ${usage}`,
    "",
    command.summary,
    "",
    "Options:",
    ...entries.map(([, option], index) => `  ${(labels[index] ?? "").padEnd(width)}  ${option.help}`),
  ].join("\n");
}
