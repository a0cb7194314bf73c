import { spawn } from "node:child_process";
import { constants } from "node:os";
import { UsageError } from "../errors.ts";

export interface RunCommandOptions {
  command: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * Installs a handler for SIGINT/SIGTERM received by this process; the child gets them
   * instead of this process dying first. Returns the function that removes it.
   */
  trapSignals?: (handler: (signal: NodeJS.Signals) => void) => () => void;
  /** When aborted, the command is stopped: SIGTERM, then SIGKILL if it still runs after `stopGraceMs`. */
  stop?: AbortSignal;
  /** @default STOP_GRACE_MS */
  stopGraceMs?: number;
}

export interface RunCommandResult {
  /** The child's exit code; 128 + n when a signal n ended it (as shells report it). */
  exitCode: number;
  signal: NodeJS.Signals | null;
  durationMs: number;
}

/** How long a SIGINT to us waits before it is forwarded to the command (see below). */
const SIGINT_GRACE_MS = 2000;
/** How long a stopped command may take to clean up after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 5000;

/** Runs a command with inherited stdio and resolves when it ends. Fails only when it cannot start. */
export async function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const [file, ...args] = options.command;
  if (file === undefined || file === "") throw new UsageError("No command to run.");
  const started = performance.now();
  const child = spawn(file, args, {
    stdio: "inherit",
    env: options.env as NodeJS.ProcessEnv,
    cwd: options.cwd,
  });
  let interruptTimer: NodeJS.Timeout | undefined;
  const release = options.trapSignals?.((signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (signal !== "SIGINT") {
      child.kill(signal);
      return;
    }
    // Ctrl-C in a terminal reaches the whole foreground group, the command included; a second
    // SIGINT from us would cut short its clean-up (releasing compile locks). Forward it only if
    // the command is still running after a grace period, i.e. when only we were signalled.
    interruptTimer ??= setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
    }, SIGINT_GRACE_MS);
  });
  let killTimer: NodeJS.Timeout | undefined;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = (): void => {
    if (!running()) return;
    child.kill("SIGTERM");
    killTimer ??= setTimeout(() => {
      if (running()) child.kill("SIGKILL");
    }, options.stopGraceMs ?? STOP_GRACE_MS);
  };
  if (options.stop?.aborted) stop();
  options.stop?.addEventListener("abort", stop, { once: true });
  try {
    return await new Promise<RunCommandResult>((resolve, reject) => {
      child.once("error", (error: NodeJS.ErrnoException) => {
        reject(
          error.code === "ENOENT"
            ? new UsageError(`Command not found: ${file}.`, {
                hint: "Check the command after `--` and your PATH.",
              })
            : error.code === "EACCES"
              ? new UsageError(`Command is not executable: ${file}.`)
              : error,
        );
      });
      child.once("close", (code, signal) => {
        const signalNumber = signal ? (constants.signals[signal] ?? 0) : 0;
        resolve({ exitCode: code ?? 128 + signalNumber, signal, durationMs: performance.now() - started });
      });
    });
  } finally {
    options.stop?.removeEventListener("abort", stop);
    clearTimeout(killTimer);
    clearTimeout(interruptTimer);
    release?.();
  }
}
