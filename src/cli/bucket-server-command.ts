import type { CommandSpec } from "./command-spec.ts";

/**
 * `neff-cache bucket-server SOCKET`: a drop-in for optimum-neuron's `bucket_server.py`, speaking
 * its length-prefixed JSON protocol over a Unix socket on top of any store. It stops on
 * SIGTERM/SIGINT and removes its socket.
 */
export const BUCKET_SERVER_COMMAND: CommandSpec = {
  name: "bucket-server",
  summary: "serve optimum-neuron's bucket_server.py protocol on a Unix socket (any store)",
  args: "SOCKET",
  minPositionals: 1,
  maxPositionals: 1,
  options: {},
  async run(input, context) {
    const [{ startBucketServer }, { parseStoreUrl }, { openStore }] = await Promise.all([
      import("../interop/bucket-server.ts"),
      import("../layout/store-url.ts"),
      import("../store/open-store.ts"),
    ]);
    const server = await startBucketServer({
      socketPath: input.positionals[0] ?? "",
      openStore: (bucketId, options) =>
        openStore(parseStoreUrl(bucketId, context.env.HOME), { env: context.env, signal: options.signal }),
      signal: context.signal,
    });
    context.log.info(`bucket-server ready on ${server.socketPath} (pid ${process.pid})`);
    await server.closed;
    return { data: { socketPath: server.socketPath, stopped: true }, human: () => "bucket-server stopped." };
  },
};
