/**
 * Benchmark: `neff-cache status --json` against `du -s` on the same 10,000-entry cache.
 * Runs both alternately (so caches warm equally), takes medians, prints the ratio and writes
 * bench/results/status.json. Run: node --import tsx bench/status-bench.ts [--entries N] [--runs N]
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { status } from "../src/ops/status.ts";
import { generateSyntheticCache } from "../tools/synthetic-cache/generate-synthetic-cache.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CV = "2.21.33363.0+82129205";

// CPU time (user + system) of this process's waited-for children, from /proc/self/stat, in ms.
// Wall time on a shared machine is noisy; CPU time shows the work each tool does.
function childrenCpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  // After the ") " the fields start at the state (field 3); cutime and cstime are fields 16 and 17.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

function run(file: string, args: string[]): Promise<{ ms: number; cpuMs: number; stdout: string }> {
  const started = performance.now();
  const cpuBefore = childrenCpuMs();
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 << 20, cwd: ROOT }, (error, stdout) => {
      if (error) reject(error);
      else resolve({ ms: performance.now() - started, cpuMs: childrenCpuMs() - cpuBefore, stdout });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { entries: { type: "string", default: "10000" }, runs: { type: "string", default: "5" } },
  });
  const entries = Number(values.entries);
  const runs = Math.max(3, Number(values.runs));
  if (!existsSync(path.join(ROOT, "dist/neff-cache.mjs")))
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT });

  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "neff-status-bench-"));
  try {
    const genStart = performance.now();
    const failed = Math.round(entries * 0.05);
    const locked = Math.round(entries * 0.01);
    const empty = Math.round(entries * 0.02);
    const made = await generateSyntheticCache({
      dir,
      compilerVersion: CV,
      success: entries - failed - locked - empty,
      failed,
      locked,
      empty,
      profile: "small",
      sparse: true,
      seed: "bench",
      concurrency: 32,
    });
    const generateMs = performance.now() - genStart;
    process.stderr.write(`generated ${made.entries.length} entries in ${(generateMs / 1000).toFixed(1)} s\n`);

    const cli: number[] = [];
    const du: number[] = [];
    const cliCpu: number[] = [];
    const duCpu: number[] = [];
    const library: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const a = await run(process.execPath, [
        "bin/neff-cache.js",
        "status",
        "--json",
        "--cache-dir",
        dir,
        "--compiler-version",
        CV,
      ]);
      const result = JSON.parse(a.stdout) as { totalBytes: number; counts: Record<string, number> };
      if (result.totalBytes !== made.totalBytes)
        throw new Error(`status saw ${result.totalBytes} B, generator made ${made.totalBytes} B`);
      cli.push(a.ms);
      cliCpu.push(a.cpuMs);
      const d = await run("du", ["-s", dir]);
      du.push(d.ms);
      duCpu.push(d.cpuMs);
      const started = performance.now();
      await status({ cacheDir: dir, compilerVersion: CV, env: {} });
      library.push(performance.now() - started);
      process.stderr.write(
        `run ${i + 1}: cli ${a.ms.toFixed(0)} ms, du ${du.at(-1)?.toFixed(0)} ms, library ${library.at(-1)?.toFixed(0)} ms\n`,
      );
    }
    const report = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      entries: made.entries.length,
      files: made.entries.reduce((sum, e) => sum + Object.keys(e.files).length, 0),
      runs,
      medianMs: { cliStatusJson: median(cli), duS: median(du), libraryStatus: median(library) },
      medianCpuMs: { cliStatusJson: median(cliCpu), duS: median(duCpu) },
      loadAverage: os.loadavg(),
      ratioCliToDu: median(cli) / median(du),
      ratioCpuCliToDu: median(cliCpu) / median(duCpu),
      ratioLibraryToDu: median(library) / median(du),
      samplesMs: { cliStatusJson: cli, duS: du, libraryStatus: library },
      samplesCpuMs: { cliStatusJson: cliCpu, duS: duCpu },
    };
    await fsp.mkdir(path.join(ROOT, "bench/results"), { recursive: true });
    await fsp.writeFile(path.join(ROOT, "bench/results/status.json"), JSON.stringify(report, null, 2) + "\n");
    process.stdout.write(
      `status --json: ${report.medianMs.cliStatusJson.toFixed(0)} ms, du -s: ${report.medianMs.duS.toFixed(0)} ms ` +
        `(ratio ${report.ratioCliToDu.toFixed(2)}; in-process library ${report.medianMs.libraryStatus.toFixed(0)} ms, ` +
        `ratio ${report.ratioLibraryToDu.toFixed(2)}); CPU ${report.medianCpuMs.cliStatusJson.toFixed(0)} ms vs ` +
        `${report.medianCpuMs.duS.toFixed(0)} ms (ratio ${report.ratioCpuCliToDu.toFixed(2)}) over ${report.entries} entries, ` +
        `median of ${runs}; load ${os.loadavg()[0]?.toFixed(1)}\n`,
    );
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

await main();
