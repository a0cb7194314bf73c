import type { StatsRecord } from "../layout/stats-record.ts";
import type { CliContext } from "./context.ts";

/** One option as `node:util` parseArgs declares it, plus help text. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in help; `VALUE` names the argument of a string option. */
  help: string;
  value?: string;
}

/** The parsed command line of one command. */
export interface CommandInput {
  values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  positionals: readonly string[];
  /** Everything after `--` (the wrapped command of `exec`). */
  rest: readonly string[];
  json: boolean;
}

/** What a command hands back: data for `--json`, and how to say it to a person. */
export interface CommandOutcome {
  data: unknown;
  human: () => string;
  /** Defaults to 0; `exec` passes its child's code through. */
  exitCode?: number;
  /** Where the human text goes; `exec` keeps stdout for its command. @default "stdout" */
  humanStream?: "stdout" | "stderr";
  /** What the run did, appended to the stats journal by `main.ts` (fetch, sync, exec). */
  journal?: StatsRecord;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, e.g. "MODEL_ID" or "[PREFIX]". */
  args: string;
  minPositionals: number;
  maxPositionals: number;
  options: Readonly<Record<string, OptionSpec>>;
  /** Accepts `-- COMMAND [ARGS…]`. */
  takesCommand?: boolean;
  run(input: CommandInput, context: CliContext): Promise<CommandOutcome>;
}
