import { Writable } from "node:stream";
import { runCli } from "../../src/cli/main.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command line in-process with captured output; `env` is the whole environment. */
export async function runCliCaptured(
  argv: string[],
  options: { env: Record<string, string | undefined>; cwd: string },
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (text: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await runCli({
    argv,
    env: options.env,
    cwd: options.cwd,
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    interactive: false,
  });
  return { code, stdout, stderr };
}
