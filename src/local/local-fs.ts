import fs, { type Dirent, type Stats } from "node:fs";
import fsp from "node:fs/promises";

/**
 * The file-system calls the local-cache code makes. Defaults to `node:fs`; tests wrap it to
 * inject errors a root user would never see (EACCES, EPERM) or races. Reads are synchronous on
 * purpose: a scan makes one readdir and a few lstat calls per entry, and synchronous calls cost
 * about a quarter of the CPU of promise-based ones (the scan yields to the event loop between
 * slices of entries instead).
 */
export interface LocalFs {
  /** Names in a dir. */
  readdirSync(path: string): string[];
  /** Entries of a dir with their types (as readdir reports them). */
  readdirTypedSync(path: string): Dirent[];
  lstatSync(path: string): Stats;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void>;
  unlink(path: string): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
}

/** The real file system. */
export const nodeLocalFs: LocalFs = {
  readdirSync: (path) => fs.readdirSync(path),
  readdirTypedSync: (path) => fs.readdirSync(path, { withFileTypes: true }),
  lstatSync: (path) => fs.lstatSync(path),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
  unlink: (path) => fsp.unlink(path),
  utimes: (path, atime, mtime) => fsp.utimes(path, atime, mtime),
};
