import { stat } from "node:fs/promises";
import { dirname } from "node:path";

/** True when `dir` is the root of a mounted file system (as Python's `os.path.ismount`). False when it does not exist. */
export async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [self, parent] = await Promise.all([stat(dir), stat(dirname(dir))]);
    return self.dev !== parent.dev || self.ino === parent.ino;
  } catch {
    return false;
  }
}

/** `NEURON_CACHE_MOUNTED` as optimum-neuron reads it: 1/true/yes (any case) → true; any other set value → false; unset → undefined. */
export function mountedFromEnv(env: Readonly<Record<string, string | undefined>>): boolean | undefined {
  const value = env["NEURON_CACHE_MOUNTED"];
  if (value === undefined) return undefined;
  return ["1", "true", "yes"].includes(value.trim().toLowerCase());
}
