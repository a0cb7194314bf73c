import { once } from "node:events";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeSender } from "./hf-node-send.ts";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];

/** A real HTTP server on 127.0.0.1 answering with `answer`; records what it was sent. */
async function serve(
  answer: (req: Seen, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const record = { method: req.method, url: req.url, headers: req.headers };
    seen.push(record);
    req.resume();
    req.once("end", () => answer(record, res));
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

describe("createNodeSender", () => {
  it("follows the Hub's redirect to another origin without the Hub token, as fetch does", async () => {
    const cdn = await serve((_req, res) => res.end("the bytes"));
    const hub = await serve((_req, res) => {
      res.writeHead(302, { Location: `${cdn.url}/blob?sig=x` }).end("redirecting");
    });
    const sender = createNodeSender({ maxSockets: 4, env: {} });
    try {
      const response = await sender.send(
        `${hub.url}/buckets/a/b/resolve/k`,
        { method: "GET", headers: { Authorization: "Bearer hf_secret", Range: "bytes=0-8" } },
        5_000,
        undefined,
      );
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("the bytes");
      expect(hub.seen[0]?.headers.authorization).toBe("Bearer hf_secret");
      expect(cdn.seen[0]?.url).toBe("/blob?sig=x");
      expect(cdn.seen[0]?.headers.authorization).toBeUndefined();
      expect(cdn.seen[0]?.headers.range).toBe("bytes=0-8");
    } finally {
      sender.close();
    }
  });

  it("keeps the token on a redirect inside the same origin, and turns a 303 into a GET", async () => {
    const hub = await serve((req, res) => {
      if (req.url === "/start") res.writeHead(303, { Location: "/next" }).end();
      else res.end(req.method);
    });
    const sender = createNodeSender({ maxSockets: 4, env: {} });
    try {
      const response = await sender.send(
        `${hub.url}/start`,
        { method: "POST", headers: { Authorization: "Bearer hf_secret" }, body: "{}" },
        5_000,
        undefined,
      );
      expect(await response.text()).toBe("GET");
      expect(hub.seen.map((req) => [req.method, req.headers.authorization])).toEqual([
        ["POST", "Bearer hf_secret"],
        ["GET", "Bearer hf_secret"],
      ]);
    } finally {
      sender.close();
    }
  });

  it("goes through HTTP_PROXY when NODE_USE_ENV_PROXY=1, as Node's fetch does, and only then", async () => {
    const proxy = await serve((req, res) => res.end(`proxied ${req.url}`));
    const hub = await serve((_req, res) => res.end("direct"));
    const url = `${hub.url}/api/buckets/a/b`;
    const proxied = createNodeSender({
      maxSockets: 4,
      env: { NODE_USE_ENV_PROXY: "1", HTTP_PROXY: proxy.url },
    });
    const direct = createNodeSender({ maxSockets: 4, env: { HTTP_PROXY: proxy.url } });
    try {
      const viaProxy = await proxied.send(url, { method: "GET", headers: {} }, 5_000, undefined);
      expect(await viaProxy.text()).toBe(`proxied ${url}`);
      const withoutProxy = await direct.send(url, { method: "GET", headers: {} }, 5_000, undefined);
      expect(await withoutProxy.text()).toBe("direct");
    } finally {
      proxied.close();
      direct.close();
    }
  });

  it("fails a body that goes silent with a TimeoutError", async () => {
    const hub = await serve((_req, res) => {
      res.writeHead(200, { "Content-Length": "10" });
      res.write("12345");
    });
    const sender = createNodeSender({ maxSockets: 4, env: {} });
    try {
      const response = await sender.send(`${hub.url}/slow`, { method: "GET", headers: {} }, 200, undefined);
      const error = await response.text().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe("TimeoutError");
    } finally {
      sender.close();
    }
  });
});
