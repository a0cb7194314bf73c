import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { runFleetOperationSuite } from "./fleet-operations.ts";

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

runFleetOperationSuite({
  name: "dir",
  createStore: async () => {
    const root = await mkdtemp(path.join(tmpdir(), "neff-fleet-store-"));
    roots.push(root);
    return createDirStore({ root });
  },
  cliEnv: () => ({}),
});
