/**
 * The neff-cache CLI as the benchmark runs it: the built binary in a child process, the same
 * way a user runs it, with the S3 server reached through the standard AWS variables.
 */
import { join } from "node:path";
import type { Command } from "./measure.ts";
import type { S3Endpoint } from "./s3-endpoint.ts";

import { DEFAULT_FETCH_CONCURRENCY } from "../src/ops/fetch.ts";
import { DEFAULT_SYNC_CONCURRENCY } from "../src/ops/sync.ts";

/** Parallel transfers of neff-cache's fetch and sync; rclone gets the same as `--transfers`/`--checkers`. */
export interface Concurrency {
  fetch: number;
  sync: number;
}

/** neff-cache's own defaults, read from its source so the comparison follows any change. */
export const NEFF_CACHE_CONCURRENCY: Concurrency = {
  fetch: DEFAULT_FETCH_CONCURRENCY,
  sync: DEFAULT_SYNC_CONCURRENCY,
};

export interface NeffCacheTarget {
  /** Repository root (holds `bin/neff-cache.js`). */
  root: string;
  compilerVersion: string;
  modelId: string;
  task: string;
}

/** The environment of a neff-cache run against `endpointUrl` (the server or a counting proxy). */
export function neffCacheEnv(s3: S3Endpoint, endpointUrl: string = s3.url): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_S3: endpointUrl,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: "us-east-1",
  };
  // The benchmark names every directory explicitly; ambient compiler settings must not leak in.
  delete env.NEURON_CC_FLAGS;
  delete env.NEURON_COMPILE_CACHE_URL;
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

function cli(target: NeffCacheTarget, args: string[], env: NodeJS.ProcessEnv): Command {
  return { file: process.execPath, args: [join(target.root, "bin", "neff-cache.js"), ...args], env };
}

function common(target: NeffCacheTarget, bucket: string, cacheDir: string): string[] {
  return ["--bucket", bucket, "--cache-dir", cacheDir, "--compiler-version", target.compilerVersion];
}

/** `neff-cache fetch|sync MODEL --task T …` into or from `cacheDir` (sync: both areas). */
function neffTransfer(
  command: "fetch" | "sync",
  target: NeffCacheTarget,
  bucket: string,
  cacheDir: string,
  env: NodeJS.ProcessEnv,
): Command {
  return cli(
    target,
    [command, target.modelId, "--task", target.task, ...common(target, bucket, cacheDir), "--json"],
    env,
  );
}

/** `neff-cache fetch MODEL --task T …` into `cacheDir`. */
export function neffFetch(
  target: NeffCacheTarget,
  bucket: string,
  cacheDir: string,
  env: NodeJS.ProcessEnv,
): Command {
  return neffTransfer("fetch", target, bucket, cacheDir, env);
}

/** `neff-cache sync MODEL --task T …` from `cacheDir`: both areas. */
export function neffSync(
  target: NeffCacheTarget,
  bucket: string,
  cacheDir: string,
  env: NodeJS.ProcessEnv,
): Command {
  return neffTransfer("sync", target, bucket, cacheDir, env);
}

/** `neff-cache exec --model MODEL --task T … -- true`. */
export function neffExecTrue(
  target: NeffCacheTarget,
  bucket: string,
  cacheDir: string,
  env: NodeJS.ProcessEnv,
): Command {
  return cli(
    target,
    [
      "exec",
      "--model",
      target.modelId,
      "--task",
      target.task,
      ...common(target, bucket, cacheDir),
      "--",
      "true",
    ],
    env,
  );
}

/** The per-model area of a store prefix: `<prefix>/neuronxcc-<cv>/<model>/<task>`. */
export function perModelPrefix(target: NeffCacheTarget, prefix: string): string {
  return `${prefix}/neuronxcc-${target.compilerVersion}/${target.modelId}/${target.task}`;
}

/** The flat area of a store prefix: `<prefix>/neuronxcc-<cv>`. */
export function flatPrefix(target: NeffCacheTarget, prefix: string): string {
  return `${prefix}/neuronxcc-${target.compilerVersion}`;
}
