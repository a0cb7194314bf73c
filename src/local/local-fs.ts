import type { Dirent, Stats } from "node:fs";
import fsp from "node:fs/promises";

/**
 * The file-system calls the local-cache code makes. Defaults to `node:fs/promises`; tests
 * wrap it to inject errors a root user would never see (EACCES, EPERM) or races.
 */
export interface LocalFs {
  readdir(path: string, options: { withFileTypes: true }): Promise<Dirent[]>;
  lstat(path: string): Promise<Stats>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void>;
  unlink(path: string): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
}

/** The real file system. */
export const nodeLocalFs: LocalFs = {
  readdir: (path, options) => fsp.readdir(path, options),
  lstat: (path) => fsp.lstat(path),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
  unlink: (path) => fsp.unlink(path),
  utimes: (path, atime, mtime) => fsp.utimes(path, atime, mtime),
};
