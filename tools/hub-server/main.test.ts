import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

describe("hub-server command", () => {
  it("prints where it listens and serves until terminated", async () => {
    const child = spawn(
      TSX,
      [
        MAIN,
        "--port",
        "0",
        "--token",
        "hf_cli",
        "--read-token",
        "hf_cli_read",
        "--fault",
        "tree:status=503,times=1",
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, "line")) as [string];
      const match = /^hub-server listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      expect(match).not.toBeNull();
      const url = match?.[1] as string;
      const created = await fetch(`${url}/api/buckets/ns/cli`, {
        method: "POST",
        headers: { Authorization: "Bearer hf_cli" },
      });
      expect(created.status).toBe(200);
      const readOnly = await fetch(`${url}/api/buckets/ns/cli`, {
        method: "DELETE",
        headers: { Authorization: "Bearer hf_cli_read" },
      });
      expect(readOnly.status).toBe(403);
      const tree = (): Promise<Response> =>
        fetch(`${url}/api/buckets/ns/cli/tree`, { headers: { Authorization: "Bearer hf_cli" } });
      expect((await tree()).status).toBe(503);
      expect((await tree()).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });

  it("refuses to start without a token", async () => {
    const child = spawn(TSX, [MAIN, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (piece: Buffer) => (stderr += piece.toString()));
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(2);
    expect(stderr).toMatch(/--token/);
  });
});
