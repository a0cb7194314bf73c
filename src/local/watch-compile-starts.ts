/**
 * Notices the moment a compile starts in a compiler-version dir: a MODULE dir that was not there
 * when the watch began, or a lock taken on an entry that was not a success (a failed or empty
 * entry compiled again). A success entry that is read is a hit and never reported.
 */
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { classifyEntry } from "../layout/classify-entry.ts";
import { isModuleName } from "../layout/entry-files.ts";
import { errorCode } from "./error-code.ts";
import { forEachConcurrent } from "./for-each-concurrent.ts";

/**
 * How often the dir is also read. fs.watch reports a new dir at once where the file system
 * supports it; the poll covers network file systems (where events do not arrive) and locks taken
 * inside existing entries (not reported by a watch on the version dir), well within a second.
 */
export const COMPILE_WATCH_POLL_MS = 250;

export interface WatchCompileStartsOptions {
  /** The compiler-version dir the command compiles into; created when missing. */
  versionDir: string;
  /** Told once, with the entries that started compiling (more may follow in later calls). */
  onStart: (modules: string[]) => void;
  pollMs?: number;
}

export interface CompileWatch {
  /** Every entry reported so far. */
  readonly started: readonly string[];
  /** Looks once more (so nothing that happened before it is missed), then stops watching. */
  stop(): Promise<void>;
}

/** Starts watching; resolves once the dir's present entries are known. */
export async function watchCompileStarts(options: WatchCompileStartsOptions): Promise<CompileWatch> {
  const { versionDir } = options;
  await mkdir(versionDir, { recursive: true });
  const known = new Set<string>();
  /** Entries present at the start that are not successes: a lock on one is a compile. */
  const unfinished = new Set<string>();
  const names = await moduleDirs(versionDir);
  await forEachConcurrent(names, 32, async (name) => {
    known.add(name);
    const state = await entryState(join(versionDir, name));
    // An entry locked already is someone else's compile (or a crashed one): the compiler waits
    // on it rather than compiling, so only an unlocked unfinished entry is watched.
    if (state !== null && state !== "success" && state !== "locked") unfinished.add(name);
  });

  const started: string[] = [];
  const report = (modules: string[]): void => {
    const fresh = modules.filter((module) => !started.includes(module));
    if (fresh.length === 0) return;
    started.push(...fresh);
    options.onStart(fresh);
  };
  let checking: Promise<void> | null = null;
  let again = false;
  const check = (): Promise<void> => {
    if (checking) {
      again = true;
      return checking;
    }
    checking = (async () => {
      do {
        again = false;
        const found: string[] = [];
        for (const name of await moduleDirs(versionDir)) if (!known.has(name)) found.push(name);
        for (const name of unfinished) {
          const state = await entryState(join(versionDir, name), true);
          if (state === "locked") found.push(name);
        }
        report(found.sort());
      } while (again);
    })().finally(() => {
      checking = null;
    });
    return checking;
  };
  const safeCheck = (): void => {
    // A failed look is retried by the next tick; it never breaks the command.
    check().catch(() => undefined);
  };

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(versionDir, { persistent: false }, safeCheck);
    watcher.on("error", () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(safeCheck, options.pollMs ?? COMPILE_WATCH_POLL_MS);
  timer.unref();
  return {
    started,
    async stop() {
      clearInterval(timer);
      watcher?.close();
      await check().catch(() => undefined);
    },
  };
}

async function moduleDirs(versionDir: string): Promise<string[]> {
  try {
    const items = await readdir(versionDir, { withFileTypes: true });
    return items.filter((item) => item.isDirectory() && isModuleName(item.name)).map((item) => item.name);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw error;
  }
}

/** The entry's state; with `lockWins`, any lock on a non-success counts as locked (a failed entry compiled again). */
async function entryState(entryDir: string, lockWins = false) {
  try {
    const names = await readdir(entryDir);
    const state = classifyEntry(names);
    return lockWins && state !== "success" && names.some((name) => name.endsWith(".lock")) ? "locked" : state;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
}

/**
 * Removes the lock files a stopped compile left in entries it created (never in a success). Its
 * process is gone, so the locks are stale; left behind, they would make the next compile of the
 * same graph wait on them. Returns the lock files removed.
 */
export async function releaseStoppedLocks(versionDir: string, modules: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const module of modules) {
    const entryDir = join(versionDir, module);
    let names: string[];
    try {
      names = await readdir(entryDir);
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue;
      throw error;
    }
    if (classifyEntry(names) === "success") continue;
    for (const name of names.filter((item) => item.endsWith(".lock"))) {
      await rm(join(entryDir, name), { force: true });
      removed.push(`${module}/${name}`);
    }
  }
  return removed;
}
