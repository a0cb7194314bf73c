/**
 * `node:crypto` for the CLI bundle, loaded at the first call instead of at start-up: the build
 * aliases every `node:crypto` import of the bundle to this module (package.json, `--alias`).
 * Loading node:crypto was the largest part of start-up that neff-cache itself caused (9 of the
 * 28 ms a `--version` took over `node -e 0`, V8 profile at load 12), while a warm `exec` with
 * nothing to fetch or publish never hashes or signs anything. A name imported from node:crypto
 * that is missing here fails the build (esbuild: no matching export), never a run.
 */
import type * as NodeCrypto from "node:crypto";

type Crypto = typeof NodeCrypto;

/** Calls `name` of node:crypto, loading the module on the first call (Node caches it after that). */
function forward<K extends keyof Crypto>(name: K): Crypto[K] {
  const call = (...args: unknown[]): unknown =>
    (process.getBuiltinModule("node:crypto")[name] as (...values: unknown[]) => unknown)(...args);
  return call as Crypto[K];
}

export const createCipheriv = forward("createCipheriv");
export const createHash = forward("createHash");
export const createHmac = forward("createHmac");
export const createPrivateKey = forward("createPrivateKey");
export const createPublicKey = forward("createPublicKey");
export const generateKeyPairSync = forward("generateKeyPairSync");
export const randomBytes = forward("randomBytes");
export const sign = forward("sign");
export const verify = forward("verify");
