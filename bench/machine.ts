/**
 * Describes the machine and tool versions a run measured on.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { runCommand } from "./measure.ts";
import type { MachineDescription } from "./results.ts";

async function firstLine(file: string, args: string[], cwd?: string): Promise<string> {
  try {
    const result = await runCommand({ file, args, ...(cwd ? { cwd } : {}) });
    return (result.stdout || result.stderr).trim().split("\n")[0] ?? "unknown";
  } catch {
    return "unavailable";
  }
}

/** The 1-minute load average now. */
export function loadAverageNow(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export async function describeMachine(root: string, loadAtStart: number): Promise<MachineDescription> {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? "unknown",
    memoryBytes: totalmem(),
    platform: `${process.platform} ${process.arch}`,
    node: process.versions.node,
    rclone: await firstLine("rclone", ["version"]),
    // The awscli that ships with the OS; a differently versioned `aws` may come first on PATH.
    aws: (await firstLine("/usr/bin/aws", ["--version"])).split(" ")[0] ?? "unavailable",
    neffCacheCommit: await firstLine("git", ["rev-parse", "--short", "HEAD"], root),
    loadAverage: { start: loadAtStart, end: loadAverageNow() },
  };
}
