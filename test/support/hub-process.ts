/**
 * The local Hub (tools/hub-server) in a child process: for measurements of this process alone
 * (memory, CPU) that an in-process server would blur, and for clients of other processes.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface HubProcessOptions {
  /** Write tokens. */
  tokens: readonly string[];
  /** Directory the server keeps xorbs and metadata in; in its memory when absent. */
  dataDir?: string;
}

export interface HubProcess {
  url: string;
  /** Stops the server and waits for it to exit. */
  close(): Promise<void>;
}

const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const MAIN = fileURLToPath(new URL("../../tools/hub-server/main.ts", import.meta.url));

/** Starts the server on a free port of 127.0.0.1 and resolves once it listens. */
export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const args = [MAIN, "--port", "0", ...options.tokens.flatMap((token) => ["--token", token])];
  if (options.dataDir !== undefined) args.push("--data-dir", options.dataDir);
  const child = spawn(TSX, args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, "line").then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`the local Hub exited with ${String(code)} before listening`);
    }),
  ]);
  const url = /^hub-server listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
  if (url === undefined) {
    child.kill("SIGTERM");
    throw new Error(`unexpected first line from the local Hub: ${first}`);
  }
  return {
    url,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
