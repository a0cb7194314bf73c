import { UsageError } from "../errors.ts";

/** Characters that never belong in a key: NUL and other C0 controls, DEL. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Why `key` is not a safe store key, or null when it is. A safe key is relative, uses "/"
 * separators, and has no empty, "." or ".." segment, so that joining it under a local
 * directory can never leave that directory.
 */
export function storeKeyProblem(key: string): string | null {
  if (key.length === 0) return "it is empty";
  if (key.startsWith("/")) return "it is absolute";
  if (key.includes("\\")) return "it contains a backslash";
  if (CONTROL_CHARS.test(key)) return "it contains a control character";
  for (const segment of key.split("/")) {
    if (segment === "") return "it has an empty path segment";
    if (segment === "." || segment === "..") return `it has a "${segment}" segment`;
  }
  return null;
}

/** Throws a UsageError naming the problem when `key` is not a safe store key. */
export function assertStoreKey(key: string): void {
  const problem = storeKeyProblem(key);
  if (problem !== null) throw new UsageError(`Invalid store key ${JSON.stringify(key)}: ${problem}.`);
}

/** Joins key parts with "/", skipping empty parts (so a "" prefix adds nothing). */
export function joinKey(...parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join("/");
}
