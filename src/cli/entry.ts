/**
 * The process entry of the `neff-cache` binary (bundled into dist/neff-cache.cjs): runs one
 * command line with the real process and is the one place that exits.
 */
import { COMMANDS } from "./commands.ts";
import { runCli } from "./main.ts";

/** For the launcher (bin/neff-cache.js), which keeps a code cache per command and none for a typo. */
export const commandNames: readonly string[] = COMMANDS.map((command) => command.name);

function onProcessSignal(listener: (signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count += 1;
    // A second Ctrl-C while a command is still winding down means "now".
    if (count > 1 && signal === "SIGINT") process.exit(130);
    listener(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

/** A y/N question on stderr, answered on stdin (a terminal). */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

// Node makes a stream the first time one is asked for, 3 ms each for stdout and stdin on Node 20
// (V8 profile of a warm exec, which writes nothing to stdout and never asks a question).
let stdoutUsed = false;
void runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  get stdout() {
    stdoutUsed = true;
    return process.stdout;
  },
  stderr: process.stderr,
  interactive: process.stderr.isTTY === true,
  onSignal: onProcessSignal,
  get confirm() {
    return process.stdin.isTTY === true ? confirm : undefined;
  },
}).then((code) => {
  // Exit once stdout has drained: a piped `--json` document must arrive whole, and open
  // keep-alive sockets must not hold the process.
  if (stdoutUsed) process.stdout.write("", () => process.exit(code));
  else process.exit(code);
});
