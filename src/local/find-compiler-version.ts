import { execFile } from "node:child_process";
import { normalizeCompilerVersion, parseCompilerVersionOutput } from "../layout/compiler-version.ts";

/** Where a compiler version came from. */
export type CompilerVersionSource = "option" | "NEFF_CACHE_COMPILER_VERSION" | "neuronx-cc" | "python";

/** A known compiler version (without the `neuronxcc-` prefix). */
export interface CompilerVersionInfo {
  version: string;
  source: CompilerVersionSource;
}

/** Runs a program and resolves with its stdout and stderr; rejects on failure or timeout. */
export type RunCommand = (
  file: string,
  args: readonly string[],
  options: { timeoutMs: number; signal?: AbortSignal },
) => Promise<{ stdout: string; stderr: string }>;

export interface FindCompilerVersionOptions {
  /** The `--compiler-version` flag; beats everything. */
  compilerVersion?: string | undefined;
  /** Environment; `NEFF_CACHE_COMPILER_VERSION` is read from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** Try the installed compiler when neither flag nor variable is set. Default true. */
  detect?: boolean;
  /** Per-command timeout for detection. Default 5000 ms. */
  timeoutMs?: number;
  /** Program runner, injectable for tests. Default: `child_process.execFile`. */
  run?: RunCommand;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * The compiler version: `--compiler-version`, then `NEFF_CACHE_COMPILER_VERSION`, then
 * detection (`neuronx-cc --version`, then `python3 -c "import neuronxcc; ..."`). Null when
 * none of them gives one. A malformed flag or variable value is a UsageError.
 */
export async function findCompilerVersion(
  options: FindCompilerVersionOptions,
): Promise<CompilerVersionInfo | null> {
  if (options.compilerVersion !== undefined && options.compilerVersion.trim() !== "") {
    return { version: normalizeCompilerVersion(options.compilerVersion), source: "option" };
  }
  const fromEnv = options.env["NEFF_CACHE_COMPILER_VERSION"];
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    return { version: normalizeCompilerVersion(fromEnv), source: "NEFF_CACHE_COMPILER_VERSION" };
  }
  if (options.detect === false) return null;
  const run = options.run ?? runWithExecFile;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const probes: { file: string; args: string[]; source: CompilerVersionSource }[] = [
    { file: "neuronx-cc", args: ["--version"], source: "neuronx-cc" },
    { file: "python3", args: ["-c", "import neuronxcc; print(neuronxcc.__version__)"], source: "python" },
  ];
  for (const probe of probes) {
    options.signal?.throwIfAborted();
    try {
      const { stdout, stderr } = await run(probe.file, probe.args, { timeoutMs, signal: options.signal });
      const version = parseCompilerVersionOutput(`${stdout}\n${stderr}`);
      if (version !== null) return { version, source: probe.source };
    } catch {
      // Not installed, not importable, or too slow: try the next probe.
    }
  }
  return null;
}

const runWithExecFile: RunCommand = (file, args, options) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: options.timeoutMs, signal: options.signal, encoding: "utf8", maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(error);
        else resolve({ stdout, stderr });
      },
    );
  });
