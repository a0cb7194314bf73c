import { createHash } from "node:crypto";

/**
 * How the producer names an entry. `libneuronxla` (torch-neuronx's compile cache): the graph hash
 * is over the HLO bytes alone. `nxd` (NxD ModelBuilder, and optimum-neuron's canonical keys): the
 * compiler flags, joined without separators, are hashed into the graph hash too, so other flags
 * change both halves of the name. The flags hash is the same in both.
 */
export type HashStyle = "libneuronxla" | "nxd";

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
 * The flags that make the key, as the compiler's cache sees them: `--logfile` (its value names a
 * timestamped work dir, different in every process) is dropped, with its value when separate.
 */
export function keyFlags(flags: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < flags.length; i += 1) {
    const flag = flags[i] as string;
    if (flag === "--logfile") i += 1;
    else if (!flag.startsWith("--logfile=")) kept.push(flag);
  }
  return kept;
}

/**
 * The entry dir name for a graph and its compiler flags: `MODULE_<graph hash>+<flags hash>`,
 * graph hash = first 20 hex of sha256(graph bytes [+ joined flags, `nxd` style]), flags hash =
 * first 8 hex of md5(json.dumps(flags)). `flags` are the key flags (see `keyFlags`).
 */
export function moduleName(
  graph: Uint8Array,
  flags: readonly string[],
  style: HashStyle = "libneuronxla",
): string {
  const graphHash = createHash("sha256").update(graph);
  if (style === "nxd" && flags.length > 0) graphHash.update(flags.join(""), "utf8");
  const flagsHash = createHash("md5").update(pythonJsonStringList(flags)).digest("hex").slice(0, 8);
  return `MODULE_${graphHash.digest("hex").slice(0, 20)}+${flagsHash}`;
}
