import { createHash } from "node:crypto";

/**
 * Python's `json.dumps(list_of_str)`: `["a", "b"]` with ", " separators and non-ASCII escaped,
 * so the flags hash matches what the compiler wrapper computes.
 */
export function pythonJsonStringList(items: readonly string[]): string {
  const encoded = items.map((item) =>
    JSON.stringify(item).replace(
      /[\u007f-\uffff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ),
  );
  return `[${encoded.join(", ")}]`;
}

/**
 * The entry dir name for a graph and its compiler flags: `MODULE_<graph hash>+<flags hash>`,
 * graph hash = first 20 hex of sha256(graph bytes), flags hash = first 8 hex of
 * md5(json.dumps(flags)).
 */
export function moduleName(graph: Uint8Array, flags: readonly string[]): string {
  const graphHash = createHash("sha256").update(graph).digest("hex").slice(0, 20);
  const flagsHash = createHash("md5").update(pythonJsonStringList(flags)).digest("hex").slice(0, 8);
  return `MODULE_${graphHash}+${flagsHash}`;
}
