import { lstat, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { DONE_FILE, FLAGS_FILE, HLO_FILE, NEFF_FILE } from "../layout/entry-files.ts";
import type { CompiledEntry } from "../layout/explain-miss.ts";
import type { EntryTimes } from "../layout/key-factors.ts";
import { parseCompileFlags } from "../layout/key-factors.ts";
import { sha256File } from "../transfer/hash-file.ts";
import { errorCode } from "./error-code.ts";

/** Flags files are a few hundred bytes; anything larger is not one. */
const MAX_FLAGS_BYTES = 1024 * 1024;

/**
 * What a local entry says about its key: its flags and the sha256 of its graph (null where the
 * file is missing or unreadable: a compile stopped early may not have written them yet).
 */
export async function readCompiledEntry(
  entryDir: string,
  module: string,
  signal?: AbortSignal,
): Promise<Omit<CompiledEntry, "fetchProblem">> {
  let compileFlags: string[] | null = null;
  try {
    const info = await lstat(join(entryDir, FLAGS_FILE));
    if (info.isFile() && info.size <= MAX_FLAGS_BYTES)
      compileFlags = parseCompileFlags(
        await readFile(join(entryDir, FLAGS_FILE), { encoding: "utf8", signal }),
      );
  } catch (error) {
    if (signal?.aborted) throw error;
  }
  let graphSha256: string | null = null;
  try {
    if ((await lstat(join(entryDir, HLO_FILE))).isFile())
      graphSha256 = await sha256File(join(entryDir, HLO_FILE), signal);
  } catch (error) {
    if (signal?.aborted) throw error;
  }
  return { module, compileFlags, graphSha256 };
}

/** The file times `compileDurationMs` reads, for one entry dir. */
export async function readEntryTimes(entryDir: string): Promise<EntryTimes> {
  const mtime = async (name: string): Promise<number> => {
    try {
      return (await lstat(join(entryDir, name))).mtimeMs;
    } catch (error) {
      if (errorCode(error) === "ENOENT") return 0;
      throw error;
    }
  };
  const dir = await lstat(entryDir);
  const locks = (await readdir(entryDir)).filter((name) => name.endsWith(".lock"));
  return {
    dirBirthMs: dir.birthtimeMs,
    inputMtimesMs: await Promise.all([HLO_FILE, FLAGS_FILE, ...locks].map(mtime)),
    outputMtimesMs: await Promise.all([NEFF_FILE, DONE_FILE].map(mtime)),
  };
}
