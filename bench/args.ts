/**
 * Command-line options of the benchmark runner (`npm run bench -- …`). Pure: no I/O.
 */

/** The measured sections, in the order they run. */
export const SECTIONS = ["fetch", "sync", "dir", "exec", "status", "memory", "hf"] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchArgs {
  /** Sections to run; all of them when the user names none. */
  sections: SectionName[];
  /** Runs per side of each comparison (A B A B …). */
  runs: number;
  /** Runs per side of the warm-exec comparison, which measures milliseconds and needs more samples. */
  execRuns: number;
  /** Smaller sets and a single run: a smoke test of the harness, not a measurement. */
  quick: boolean;
  /** Where the JSON and markdown results go. */
  outDir: string;
  /** Runs neff-cache once more per comparison under `--cpu-prof` and summarizes the profile. */
  profile: boolean;
  help: boolean;
}

export const BENCH_USAGE = `usage: npm run bench -- [--only SECTION[,SECTION…]] [--runs N] [--exec-runs N] [--quick] [--profile] [--out DIR]

sections: ${SECTIONS.join(", ")}
  --only      run only these sections (repeatable or comma-separated)
  --runs      runs per side of each comparison (default 3, --quick 1)
  --exec-runs runs per side of the warm-exec comparison (default 15, --quick 5)
  --quick     small sets and one run: checks the harness, does not measure
  --profile   one more neff-cache run per comparison under --cpu-prof; profiles go to
              <out>/profiles.tmp/, their hot spots into the results
  --out       results directory (default bench/results)`;

const DEFAULT_RUNS = 3;
const DEFAULT_EXEC_RUNS = 15;
const QUICK_RUNS = 1;
const QUICK_EXEC_RUNS = 5;

function isSection(value: string): value is SectionName {
  return (SECTIONS as readonly string[]).includes(value);
}

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) {
    throw new Error(`${flag} needs a whole number of at least 1, got ${value ?? "nothing"}`);
  }
  return n;
}

/** Parses the runner's arguments; throws an Error whose message says what to type instead. */
export function parseBenchArgs(argv: readonly string[], defaultOutDir: string): BenchArgs {
  const only: SectionName[] = [];
  let runs: number | null = null;
  let execRuns: number | null = null;
  let quick = false;
  let help = false;
  let profile = false;
  let outDir = defaultOutDir;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case "--only":
        for (const name of (value() ?? "").split(",").filter(Boolean)) {
          if (!isSection(name))
            throw new Error(`unknown section "${name}"; choose from ${SECTIONS.join(", ")}`);
          if (!only.includes(name)) only.push(name);
        }
        break;
      case "--runs":
        runs = positiveInt("--runs", value());
        break;
      case "--exec-runs":
        execRuns = positiveInt("--exec-runs", value());
        break;
      case "--quick":
        quick = true;
        break;
      case "--profile":
        profile = true;
        break;
      case "--out":
        outDir = value() ?? outDir;
        break;
      case "-h":
      case "--help":
        help = true;
        break;
      default:
        throw new Error(`unknown argument "${arg}"\n${BENCH_USAGE}`);
    }
  }
  return {
    sections: only.length > 0 ? SECTIONS.filter((s) => only.includes(s)) : [...SECTIONS],
    runs: runs ?? (quick ? QUICK_RUNS : DEFAULT_RUNS),
    execRuns: execRuns ?? (quick ? QUICK_EXEC_RUNS : DEFAULT_EXEC_RUNS),
    quick,
    outDir,
    profile,
    help,
  };
}
