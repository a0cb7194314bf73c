import { parseArgs } from "node:util";
import { parseFaultSpec } from "./create-faults.ts";
import type { HubTokenOption } from "./create-auth.ts";
import { startHubServer } from "./start-hub-server.ts";

const USAGE =
  "usage: hub-server --token TOKEN [--read-token TOKEN] [--port PORT] [--host HOST] [--data-dir DIR] [--fault SPEC]... [--seed N]";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    token: { type: "string", multiple: true, default: [] },
    "read-token": { type: "string", multiple: true, default: [] },
    "data-dir": { type: "string" },
    fault: { type: "string", multiple: true, default: [] },
    seed: { type: "string", default: "1" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const tokens: HubTokenOption[] = [
  ...values.token.map((token) => ({ token, scope: "write" as const })),
  ...values["read-token"].map((token) => ({ token, scope: "read" as const })),
];
if (tokens.length === 0) {
  process.stderr.write(`hub-server: give at least one --token\n${USAGE}\n`);
  process.exit(2);
}
const port = Number(values.port);
const seed = Number(values.seed);
if (!Number.isInteger(port) || port < 0 || !Number.isInteger(seed)) {
  process.stderr.write(`hub-server: --port and --seed take integers\n${USAGE}\n`);
  process.exit(2);
}
let faults;
try {
  faults = values.fault.map(parseFaultSpec);
} catch (error) {
  process.stderr.write(`hub-server: ${(error as Error).message}\n`);
  process.exit(2);
}

const server = await startHubServer({
  port,
  host: values.host,
  tokens,
  seed,
  faults,
  ...(values["data-dir"] === undefined ? {} : { dataDir: values["data-dir"] }),
});
process.stdout.write(`hub-server listening on ${server.url}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
