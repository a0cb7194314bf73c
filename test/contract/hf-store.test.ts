import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startHubProcess } from "../support/hub-process.ts";
import type { HubProcess } from "../support/hub-process.ts";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import { randomTestPrefix, runStoreContract } from "./store-contract.ts";

const TOKEN = "hf_contract_write_token_0001";
let server: HubProcess;
let dataDir: string;
beforeAll(async () => {
  // In its own process, xorbs on disk: the large-object item measures this process's memory, which
  // must be the store's alone, not the server's buffers and garbage too.
  dataDir = await mkdtemp(join(tmpdir(), "neff-hf-contract-"));
  server = await startHubProcess({ tokens: [TOKEN], dataDir });
  await open("").create();
});
afterAll(async () => {
  await server?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

const open = (prefix: string, name = "contract") =>
  createHfStore({ namespace: "ns", name, prefix, env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url } });

runStoreContract({
  name: "hf",
  create: async (prefix) => open(prefix),
  createUncreated: async () => ({ store: open("", randomTestPrefix()), cleanup: async () => {} }),
  unsupported: {
    "abandoned-uploads":
      "Xet keeps no server-side partial state: xorbs and shards are content-addressed and whole, and a file exists only once a batch registers it, so a killed writer leaves nothing to clean",
  },
});
