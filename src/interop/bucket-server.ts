/**
 * A drop-in for optimum-neuron's `bucket_server.py`: the same protocol on a Unix socket, served
 * from any store. optimum-neuron connects, sends one length-prefixed JSON request, reads one
 * response; a connection may also carry several requests, answered in order.
 */
import { chmod, lstat, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { UsageError } from "../errors.ts";
import { createBucketMethods } from "./bucket-methods.ts";
import type { BucketMethods, OpenStoreFn } from "./bucket-methods.ts";
import { DEFAULT_MAX_FRAME_BYTES, createFrameDecoder, encodeFrame } from "./bucket-frame.ts";
import { handleBucketRequest } from "./bucket-request.ts";

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

export interface StartBucketServerOptions {
  /** Where to listen. A stale socket there is replaced; any other file is refused. */
  socketPath: string;
  /** Opens the store named by a request's `bucket_id`. */
  openStore: OpenStoreFn;
  /** Aborting stops the server: no new connections, calls in flight cancelled, socket removed. */
  signal?: AbortSignal;
  /** Largest request accepted, in bytes. @default 64 MiB */
  maxFrameBytes?: number;
}

/** A running server. */
export interface BucketServer {
  readonly socketPath: string;
  /** Stops the server as an abort of `signal` would; resolves once everything is released. */
  close(): Promise<void>;
  /** Resolves when the server has stopped, for whatever reason. */
  readonly closed: Promise<void>;
}

/**
 * Listens on `socketPath` and answers `ping`, `list_bucket_tree`, `download_bucket_files` and
 * `batch_bucket_files` as optimum-neuron's server does. The socket is made owner-only: whoever can
 * connect can make this process read and write local files.
 */
export async function startBucketServer(options: StartBucketServerOptions): Promise<BucketServer> {
  const { socketPath } = options;
  if (socketPath.trim() === "") {
    throw new UsageError("The socket path is empty.", {
      hint: "Pass the path of the Unix socket to listen on, e.g. neff-cache bucket-server /tmp/neff-cache.sock.",
    });
  }
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new UsageError(
      `Socket path is too long (${Buffer.byteLength(socketPath)} bytes; Unix allows 107).`,
      {
        hint: "Use a shorter path, e.g. under /tmp.",
      },
    );
  }
  options.signal?.throwIfAborted();
  await requireSocketDir(socketPath);
  await removeStaleSocket(socketPath);

  const stop = new AbortController();
  const methods = createBucketMethods({ openStore: options.openStore, signal: stop.signal });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => serveConnection(socket, sockets, methods, options.maxFrameBytes));

  await listen(server, socketPath);
  await chmod(socketPath, 0o600);

  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stop.abort();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await serverClosed;
      await methods.close();
      await unlink(socketPath).catch(() => undefined);
      markClosed();
    })();
    return closing;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  // A failure of the listening socket itself (not of one connection) ends the server cleanly
  // instead of crashing the process with an unhandled 'error' event.
  server.on("error", () => void close());
  return { socketPath, close, closed };
}

// --- internal ---

function serveConnection(
  socket: Socket,
  sockets: Set<Socket>,
  methods: BucketMethods,
  maxFrameBytes: number | undefined,
): void {
  sockets.add(socket);
  const decoder = createFrameDecoder({ maxFrameBytes });
  // Requests on one connection are answered one after the other, in order.
  let queue = Promise.resolve();
  socket.on("data", (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.type === "too-large") {
        const limit = maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
        const response = {
          error: `ValueError: a request of ${event.size} bytes exceeds the limit of ${limit} bytes`,
        };
        queue = queue
          .then(() => {
            if (!socket.destroyed) socket.end(encodeFrame(response));
          })
          .catch(() => void socket.destroy());
        return;
      }
      queue = queue
        .then(async () => {
          const response = await handleBucketRequest(event.body, methods);
          if (!socket.destroyed) socket.write(encodeFrame(response));
        })
        .catch(() => void socket.destroy());
    }
  });
  // An incomplete frame at EOF is dropped, as the Python server ends the connection on it.
  socket.on("end", () => {
    void queue.then(() => socket.end());
  });
  socket.on("error", () => socket.destroy());
  socket.on("close", () => sockets.delete(socket));
}

/** The socket's directory must exist (listen would report only "permission denied"). */
async function requireSocketDir(path: string): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir).catch((error: unknown) => {
    const why = LISTEN_FAILURES[(error as NodeJS.ErrnoException).code ?? ""];
    if (why === undefined) throw error;
    throw new UsageError(`Cannot listen on ${path}: ${why}.`, {
      hint: "Pass a socket path in an existing directory this user may write, e.g. under /tmp.",
    });
  });
  if (!info.isDirectory()) {
    throw new UsageError(`Cannot listen on ${path}: a part of it is not a directory.`, {
      hint: "Pass a socket path in an existing directory this user may write, e.g. under /tmp.",
    });
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!info.isSocket()) {
    throw new UsageError(`Cannot listen on ${path}: a file that is not a socket is already there.`, {
      hint: "Pass a socket path that does not exist, or remove that file yourself.",
    });
  }
  await unlink(path);
}

/** Reasons a path cannot be listened on that are the caller's to fix, in words. */
const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "its file system is read-only",
  ENOENT: "its directory does not exist",
  ENOTDIR: "a part of it is not a directory",
  EADDRINUSE: "another process listens there",
};

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      const why = LISTEN_FAILURES[(error as NodeJS.ErrnoException).code ?? ""];
      reject(
        why === undefined
          ? error
          : new UsageError(`Cannot listen on ${path}: ${why}.`, {
              hint: "Pass a socket path in a directory this user may write, e.g. under /tmp.",
              cause: error,
            }),
      );
    };
    server.once("error", onError);
    server.listen(path, () => {
      server.off("error", onError);
      resolve();
    });
  });
}
