/**
 * Runs commands and measures them: wall time of a whole process (start-up included, as a user
 * sees it), alternating the compared sides so drift on a shared machine hits both alike.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize } from "./stats.ts";
import type { Samples } from "./stats.ts";

/** One process to run. */
export interface Command {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TimedRun {
  /** Wall milliseconds of all the side's commands, run one after the other. */
  ms: number;
  results: CommandResult[];
}

/** Kept from a failing command's stderr: enough to see why, never the environment. */
const STDERR_TAIL_CHARS = 2000;

function describe(command: Command): string {
  return [command.file, ...command.args].join(" ");
}

/** Runs one process to its end; rejects when it exits non-zero. */
export function runCommand(command: Command): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, {
      env: command.env ?? process.env,
      cwd: command.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = {
        code: code ?? 128,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      if (code === 0) resolve(result);
      else
        reject(
          new Error(
            `${describe(command)} exited with ${code ?? signal}:\n${result.stderr.slice(-STDERR_TAIL_CHARS)}`,
          ),
        );
    });
  });
}

/** Runs the commands one after the other and times them together. */
export async function timeCommands(commands: readonly Command[]): Promise<TimedRun> {
  const results: CommandResult[] = [];
  const started = process.hrtime.bigint();
  for (const command of commands) results.push(await runCommand(command));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, results };
}

/** One side of a comparison. Set-up, checks and clean-up are never timed. */
export interface Side {
  label: string;
  /**
   * Prepares run `run` (fresh directory, fresh prefix …) and returns what to time. With
   * `endpoint`, the commands reach the S3 server through that URL (a counting proxy).
   */
  prepare(run: number, endpoint?: string): Promise<Command[]>;
  /** Throws when the run did not do the whole job, so a broken run never counts as fast. */
  verify?(run: number, timed: TimedRun): Promise<void>;
  cleanup?(run: number): Promise<void>;
}

export interface SideSamples {
  label: string;
  ms: Samples;
}

/**
 * Runs A B A B … (`runs` times each) and returns each side's samples. Progress goes to stderr.
 */
export async function alternate(title: string, sides: readonly Side[], runs: number): Promise<SideSamples[]> {
  const times: number[][] = sides.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [index, side] of sides.entries()) {
      const commands = await side.prepare(run);
      const timed = await timeCommands(commands);
      await side.verify?.(run, timed);
      await side.cleanup?.(run);
      times[index]?.push(timed.ms);
      process.stderr.write(
        `  ${title} · ${side.label} · run ${run + 1}/${runs}: ${timed.ms.toFixed(1)} ms\n`,
      );
    }
  }
  return sides.map((side, index) => ({ label: side.label, ms: summarize(times[index] ?? []) }));
}

/** What the kernel accounted to a run's processes. */
export interface ResourceUsage {
  /** Wall milliseconds of all commands. */
  ms: number;
  /** User + system CPU milliseconds, summed over the commands. */
  cpuMs: number;
  /** The largest peak RSS of any one command, in bytes. */
  peakRssBytes: number;
}

/**
 * Runs the commands one after the other under `/usr/bin/time` and returns their CPU time and
 * peak memory: unlike wall time, CPU time barely moves when other work shares the machine.
 */
export async function measureUsage(commands: readonly Command[]): Promise<ResourceUsage> {
  const scratch = await mkdtemp(join(tmpdir(), "neff-bench-usage-"));
  try {
    const usage: ResourceUsage = { ms: 0, cpuMs: 0, peakRssBytes: 0 };
    for (const [index, command] of commands.entries()) {
      const report = join(scratch, `usage-${index}`);
      const timed = await timeCommands([
        {
          ...command,
          file: "/usr/bin/time",
          args: ["-f", "%U %S %M", "-o", report, command.file, ...command.args],
        },
      ]);
      const [user, system, kib] = ((await readFile(report, "utf8")).trim().split("\n").pop() ?? "")
        .split(" ")
        .map(Number);
      if (
        user === undefined ||
        system === undefined ||
        kib === undefined ||
        [user, system, kib].some(Number.isNaN)
      ) {
        throw new Error(`could not read the resource usage of ${describe(command)}`);
      }
      usage.ms += timed.ms;
      usage.cpuMs += (user + system) * 1000;
      usage.peakRssBytes = Math.max(usage.peakRssBytes, kib * 1024);
    }
    return usage;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Runs one process under `/usr/bin/time` and returns its peak resident set size in bytes
 * (the kernel's high-water mark for that process) along with its wall time.
 */
export async function measurePeakRss(command: Command): Promise<{ bytes: number; ms: number }> {
  const scratch = await mkdtemp(join(tmpdir(), "neff-bench-rss-"));
  try {
    const report = join(scratch, "rss");
    const timed = await timeCommands([
      { ...command, file: "/usr/bin/time", args: ["-f", "%M", "-o", report, command.file, ...command.args] },
    ]);
    const kib = Number((await readFile(report, "utf8")).trim().split("\n").pop());
    if (!Number.isFinite(kib)) throw new Error(`could not read the peak RSS of ${describe(command)}`);
    return { bytes: kib * 1024, ms: timed.ms };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
