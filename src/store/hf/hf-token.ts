/**
 * Where the Hugging Face token comes from, in the order the `hf` CLI and huggingface_hub use:
 * `HF_TOKEN`, then the file `$HF_HOME/token` written by `hf auth login`.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface ResolveHfTokenOptions {
  /** The environment to read `HF_TOKEN`, `HF_HOME`, `XDG_CACHE_HOME` and `HOME` from. */
  env: Record<string, string | undefined>;
  /** Reads the token file; injectable for tests. @default fs.readFile as UTF-8 */
  readTextFile?: (path: string) => Promise<string>;
}

/** The directory huggingface_hub uses for its state: `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: Record<string, string | undefined>): string {
  if (env.HF_HOME) return env.HF_HOME;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "huggingface");
  return join(env.HOME || homedir(), ".cache", "huggingface");
}

/** The token to send, or undefined to call anonymously (public buckets stay readable). */
export async function resolveHfToken(options: ResolveHfTokenOptions): Promise<string | undefined> {
  const fromEnv = options.env.HF_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const read = options.readTextFile ?? ((path: string) => readFile(path, "utf8"));
  try {
    const fromFile = (await read(join(hfHome(options.env), "token"))).trim();
    return fromFile === "" ? undefined : fromFile;
  } catch (error) {
    // No token file means "not logged in", which is a valid state for public buckets.
    if (
      (error as NodeJS.ErrnoException).code === "ENOENT" ||
      (error as NodeJS.ErrnoException).code === "ENOTDIR"
    )
      return undefined;
    throw error;
  }
}
