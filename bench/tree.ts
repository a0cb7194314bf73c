/**
 * Counts the regular files and bytes below a directory: how a run is checked for completeness.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export interface TreeSize {
  files: number;
  bytes: number;
}

export async function measureTree(dir: string): Promise<TreeSize> {
  const total: TreeSize = { files: 0, bytes: 0 };
  const walk = async (current: string): Promise<void> => {
    for (const item of await readdir(current, { withFileTypes: true })) {
      const path = join(current, item.name);
      if (item.isDirectory()) await walk(path);
      else if (item.isFile()) {
        total.files += 1;
        total.bytes += (await stat(path)).size;
      }
    }
  };
  await walk(dir);
  return total;
}

/** Throws when `actual` lacks files or bytes of `expected` (extra bookkeeping files are allowed). */
export function assertTreeHolds(what: string, actual: TreeSize, expected: TreeSize): void {
  if (actual.files < expected.files || actual.bytes < expected.bytes) {
    throw new Error(
      `${what}: expected at least ${expected.files} files / ${expected.bytes} bytes, ` +
        `found ${actual.files} files / ${actual.bytes} bytes`,
    );
  }
}
