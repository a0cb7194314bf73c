/**
 * `node:fs/promises` for the CLI bundle, loaded at the first call instead of at start-up: the
 * build aliases every `node:fs/promises` import of the bundle to this module (package.json,
 * `--alias`). On Node 20, loading it was 7 ms of a warm `exec` on S3 (V8 profile, load 3.4),
 * whose local reads are all synchronous. A name imported from node:fs/promises that is missing
 * here fails the build (esbuild: no matching export), never a run.
 */
import type * as NodeFsPromises from "node:fs/promises";

type FsPromises = typeof NodeFsPromises;

/** Calls `name` of node:fs/promises, loading the module on the first call (Node caches it after that). */
function forward<K extends keyof FsPromises>(name: K): FsPromises[K] {
  const call = (...args: unknown[]): unknown =>
    (process.getBuiltinModule("node:fs/promises")[name] as (...values: unknown[]) => unknown)(...args);
  return call as FsPromises[K];
}

export const access = forward("access");
export const appendFile = forward("appendFile");
export const chmod = forward("chmod");
export const copyFile = forward("copyFile");
export const link = forward("link");
export const lstat = forward("lstat");
export const mkdir = forward("mkdir");
export const mkdtemp = forward("mkdtemp");
export const open = forward("open");
export const readdir = forward("readdir");
export const readFile = forward("readFile");
export const realpath = forward("realpath");
export const rename = forward("rename");
export const rm = forward("rm");
export const rmdir = forward("rmdir");
export const stat = forward("stat");
export const statfs = forward("statfs");
export const symlink = forward("symlink");
export const unlink = forward("unlink");
export const utimes = forward("utimes");
export const writeFile = forward("writeFile");
