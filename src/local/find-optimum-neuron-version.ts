import { execFile } from "node:child_process";
import { UsageError } from "../errors.ts";

export interface FindOptimumNeuronVersionOptions {
  /** The `--optimum-neuron-version` flag; beats everything. */
  flag?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** @default 5000 */
  timeoutMs?: number;
}

const VERSION = /^[0-9][0-9A-Za-z.+_-]*$/;

/**
 * The optimum-neuron version export records are filed under: the flag, then
 * `NEFF_CACHE_OPTIMUM_NEURON_VERSION`, then the installed `optimum-neuron` Python package.
 * Null when none of them gives one.
 */
export async function findOptimumNeuronVersion(
  options: FindOptimumNeuronVersionOptions,
): Promise<string | null> {
  const given = options.flag?.trim() || options.env["NEFF_CACHE_OPTIMUM_NEURON_VERSION"]?.trim();
  if (given) {
    if (!VERSION.test(given)) {
      throw new UsageError(`Invalid optimum-neuron version ${JSON.stringify(given)}.`, {
        hint: "Pass a version such as --optimum-neuron-version 0.4.6.",
      });
    }
    return given;
  }
  return new Promise((resolve) => {
    execFile(
      "python3",
      ["-c", "import importlib.metadata as m; print(m.version('optimum-neuron'))"],
      { timeout: options.timeoutMs ?? 5000 },
      (error, stdout) => {
        const version = stdout.trim();
        resolve(error || !VERSION.test(version) ? null : version);
      },
    );
  });
}
