/**
 * `hash-wasm` for the CLI bundle, loaded at the first call instead of at start-up: the build
 * aliases the bundle's `hash-wasm` imports to this module (package.json, `--alias`). Only Xet
 * (Hugging Face) transfers hash with BLAKE3, and loading the package took 5 ms of every command's
 * start-up (load 12, best of 5). A name imported from hash-wasm that is missing here fails the build.
 */
import type * as HashWasm from "hash-wasm";

// A computed specifier, so the bundler leaves this import to Node (the alias would otherwise
// point it back at this module).
const PACKAGE = "hash-wasm";

export const createBLAKE3: typeof HashWasm.createBLAKE3 = async (...args) => {
  const loaded = (await import(PACKAGE)) as typeof HashWasm;
  return loaded.createBLAKE3(...args);
};
