import { afterAll, beforeAll } from "vitest";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { runFleetOperationSuite } from "./fleet-operations.ts";

const TOKEN = "hf_fleetops_write_0123456789";
let server: HubServer;
let buckets = 0;

beforeAll(async () => {
  server = await startHubServer({ port: 0, tokens: [{ token: TOKEN, scope: "write" }] });
});
afterAll(async () => {
  await server?.close();
});

const hfEnv = () => ({ HF_TOKEN: TOKEN, HF_ENDPOINT: server.url, HF_HOME: "/nonexistent-hf-home" });

runFleetOperationSuite({
  name: "hf (local Hub bucket server)",
  createStore: async () => {
    const store = createHfStore({
      namespace: "neff",
      name: `fleet-ops-${++buckets}`,
      prefix: "",
      env: hfEnv(),
    });
    await store.create();
    return store;
  },
  cliEnv: hfEnv,
  createSameStoreEnds: async () => {
    const name = `fleet-ops-${++buckets}`;
    const open = (prefix: string) => createHfStore({ namespace: "neff", name, prefix, env: hfEnv() });
    const root = open("");
    await root.create();
    return {
      from: open("staging"),
      to: open("trusted"),
      sameStore: { store: root, fromPrefix: "staging", toPrefix: "trusted" },
    };
  },
});
