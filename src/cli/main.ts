/**
 * The CLI entry: parses the command line, runs one command, renders its result (human or
 * `--json`), and decides the exit code; `entry.ts` hands it to the process.
 */
import type { Writable } from "node:stream";
import { DeadlineError, UsageError } from "../errors.ts";
import type { StatsRecord } from "../layout/stats-record.ts";
import { NEFF_CACHE_VERSION } from "../version.ts";
import type { CommandSpec } from "./command-spec.ts";
import { storeTimeoutMs } from "./cache-target.ts";
import { COMMANDS } from "./commands.ts";
import type { CliContext, Env, Logger } from "./context.ts";
import { parseCommandLine } from "./parse-command-line.ts";
import { createRedactor } from "./redact.ts";
import { describeError, renderError } from "./render/error.ts";
import { renderCommandHelp, renderMainHelp } from "./render/help.ts";
import { renderJson, renderJsonError } from "./render/json.ts";

export interface CliIo {
  argv: readonly string[];
  env: Env;
  cwd: string;
  stdout: Writable;
  stderr: Writable;
  interactive: boolean;
  /** Process signals arrive through this; tests drive it directly. */
  onSignal?: (listener: (signal: NodeJS.Signals) => void) => () => void;
  /** Asks the user yes or no; given only when stdin is a terminal (may be a getter, read only when needed). */
  confirm?: (question: string) => Promise<boolean>;
}

/** Runs one command line and resolves to its exit code. Never throws. */
export async function runCli(io: CliIo): Promise<number> {
  const redact = createRedactor(io.env);
  const write = (stream: Writable, text: string): void => {
    stream.write(`${redact(text)}\n`);
  };
  const [name, ...args] = io.argv;
  // Flags after "--" belong to the command exec runs, never to neff-cache.
  const ownArgs = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  const wantsJson = ownArgs.includes("--json");
  const verbose = ownArgs.includes("--verbose") || ownArgs.includes("-v") || io.env.NEFF_CACHE_DEBUG === "1";

  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    write(io.stdout, renderMainHelp(COMMANDS, packageVersion()));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    write(io.stdout, packageVersion());
    return 0;
  }

  const controller = new AbortController();
  let trap: ((signal: NodeJS.Signals) => void) | undefined;
  const removeSignalListener = io.onSignal?.((signal) => {
    if (trap) trap(signal);
    else controller.abort(Object.assign(new Error(`Interrupted by ${signal}.`), { name: "AbortError" }));
  });
  const log: Logger = {
    info: (message) => write(io.stderr, message),
    warn: (message) => write(io.stderr, `warning: ${message}`),
    debug: (message) => {
      if (verbose) write(io.stderr, `debug: ${message}`);
    },
  };
  const context: CliContext = {
    env: io.env,
    cwd: io.cwd,
    signal: controller.signal,
    stderr: io.stderr,
    interactive: io.interactive,
    // Read when a command asks: for the process, that is when stdin is looked at.
    get confirm() {
      return io.confirm;
    },
    log,
    trapSignals: (handler) => {
      trap = handler;
      return () => {
        if (trap === handler) trap = undefined;
      };
    },
  };

  let deadline: NodeJS.Timeout | undefined;
  try {
    const command = findCommand(name);
    const input = parseCommandLine(command, args);
    if (input.values.help === true) {
      write(io.stdout, renderCommandHelp(command));
      return 0;
    }
    // The whole command is store work, so its deadline is the command's; exec bounds only its
    // fetch and its publishing (see exec-with-cache.ts), never the command it runs.
    const timeoutMs =
      "timeout" in command.options && command.name !== "exec" ? storeTimeoutMs(input, context) : undefined;
    if (timeoutMs !== undefined) {
      deadline = setTimeout(() => controller.abort(deadlineError(name, timeoutMs)), timeoutMs);
    }
    const outcome = await command.run(
      input,
      command.name === "exec" ? context : { ...context, storeStalled: (error) => controller.abort(error) },
    );
    // A stall or deadline that stopped the work is the outcome, even when the command kept its partial result.
    if (controller.signal.reason instanceof DeadlineError) throw controller.signal.reason;
    if (outcome.journal) await journal(outcome.journal, context);
    if (input.json) write(io.stdout, renderJson(outcome.data, redact));
    else write(outcome.humanStream === "stderr" ? io.stderr : io.stdout, outcome.human());
    return outcome.exitCode ?? 0;
  } catch (caught) {
    // Whatever a command was doing when its deadline struck, the deadline is what to report.
    const error = controller.signal.reason instanceof DeadlineError ? controller.signal.reason : caught;
    const described = describeError(error);
    // A stack helps only with a bug: errors a user can cause are said in words alone.
    const stack = described.internal && verbose && error instanceof Error ? error.stack : undefined;
    write(io.stderr, renderError(described, stack));
    if (wantsJson) write(io.stdout, renderJsonError(described, redact));
    return described.exitCode;
  } finally {
    clearTimeout(deadline);
    removeSignalListener?.();
  }
}

function deadlineError(command: string, timeoutMs: number): DeadlineError {
  return new DeadlineError(
    `${command} stopped: its store work did not finish within ${formatMs(timeoutMs)} (--timeout / NEFF_CACHE_TIMEOUT). What was finished is kept.`,
    { hint: "Run it again to go on from there, with a longer --timeout if the store is just slow." },
  );
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function findCommand(name: string): CommandSpec {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command) return command;
  throw new UsageError(`Unknown command ${JSON.stringify(name)}.`, {
    hint: `Commands: ${COMMANDS.map((candidate) => candidate.name).join(", ")}. See: neff-cache --help`,
  });
}

/** Appends the run's record; the journal is bookkeeping, so a failure is a warning, never the run's. */
async function journal(record: StatsRecord, context: CliContext): Promise<void> {
  const { appendStatsRecord, statsJournalPath } = await import("../local/stats-journal.ts");
  const file = statsJournalPath(context.env);
  try {
    await appendStatsRecord({ journal: file, record });
  } catch (error) {
    context.log.warn(`cannot append to the stats journal ${file}: ${(error as Error).message}`);
  }
}

function packageVersion(): string {
  return NEFF_CACHE_VERSION;
}
