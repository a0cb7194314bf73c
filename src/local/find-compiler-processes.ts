import fsp from "node:fs/promises";
import path from "node:path";

/** Process names of the Neuron compiler: the driver and its back-end. */
export const COMPILER_PROCESS_NAMES: readonly string[] = ["neuronx-cc", "walrus_driver"];

/** A running process that looks like the compiler. */
export interface CompilerProcess {
  pid: number;
  /** The matched name. */
  name: string;
}

export interface FindCompilerProcessesOptions {
  /** The proc file system root. Default `/proc`. */
  procDir?: string;
  /** Names to look for. Default `COMPILER_PROCESS_NAMES`. */
  names?: readonly string[];
  /** A pid never reported (this process). Default `process.pid`. */
  selfPid?: number;
}

/**
 * Lists processes that look like a running compiler: a process whose `comm` is one of the
 * names, or whose command line runs one (directly, or as the script of an interpreter such as
 * `python3 /usr/local/bin/neuronx-cc`). Reads `/proc` directly; processes that exit while it
 * reads are skipped. On a system without `/proc` it finds nothing.
 */
export async function findCompilerProcesses(
  options: FindCompilerProcessesOptions = {},
): Promise<CompilerProcess[]> {
  const procDir = options.procDir ?? "/proc";
  const names = new Set(options.names ?? COMPILER_PROCESS_NAMES);
  const selfPid = options.selfPid ?? process.pid;
  let pids: string[];
  try {
    pids = (await fsp.readdir(procDir)).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found: CompilerProcess[] = [];
  await Promise.all(
    pids.map(async (pidText) => {
      const pid = Number(pidText);
      if (pid === selfPid) return;
      const name = await matchProcess(path.join(procDir, pidText), names);
      if (name !== null) found.push({ pid, name });
    }),
  );
  return found.sort((a, b) => a.pid - b.pid);
}

async function matchProcess(dir: string, names: ReadonlySet<string>): Promise<string | null> {
  const comm = (await readOrEmpty(path.join(dir, "comm"))).trim();
  if (names.has(comm)) return comm;
  const argv = (await readOrEmpty(path.join(dir, "cmdline"))).split("\0").filter((arg) => arg !== "");
  const first = path.basename(argv[0] ?? "");
  if (names.has(first)) return first;
  if (/^(python[\d.]*|env|bash|sh)$/.test(first)) {
    const script = argv.slice(1).find((arg) => !arg.startsWith("-"));
    const scriptName = path.basename(script ?? "");
    if (names.has(scriptName)) return scriptName;
  }
  return null;
}

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, "utf8");
  } catch {
    return "";
  }
}
