import { COMPILER_DIR_PREFIX } from "../layout/cache-layout.ts";
import type { Store } from "../store/store.ts";

/** The compiler versions a store holds: its top-level `neuronxcc-*` folders, sorted. */
export async function storeCompilerVersions(store: Store, signal?: AbortSignal): Promise<string[]> {
  const versions: string[] = [];
  for await (const item of store.list("", { recursive: false, signal })) {
    const name = item.key.slice(item.key.lastIndexOf("/") + 1);
    if (item.type === "dir" && name.startsWith(COMPILER_DIR_PREFIX)) {
      versions.push(name.slice(COMPILER_DIR_PREFIX.length));
    }
  }
  return versions.sort();
}
