/**
 * An EC2 instance role on 127.0.0.1, for tests: an IMDSv2 metadata server that hands out
 * short-lived session credentials (what `AWS_EC2_METADATA_SERVICE_ENDPOINT` points the SDK at),
 * and a gate in front of the S3 test server that accepts only requests signed with a session
 * token the metadata server issued and that has not expired, as AWS does. RGW itself ignores
 * session tokens, so the gate is what makes expiry real; the requests go on untouched, so RGW
 * still checks every signature (which covers the token).
 *
 * The Expiration the metadata server reports is the token's life plus the SDK's refresh window
 * (credentials are renewed 5 minutes before they expire), so a test sees a refresh after
 * `lifetimeMs` instead of after an hour.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-retrieval.html
 */
import { randomBytes } from "node:crypto";
import { createServer, request } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How far before Expiration the SDK renews instance-role credentials (@smithy/core). */
const SDK_REFRESH_WINDOW_MS = 5 * 60_000;
const ROLE = "neff-test-role";

export interface InstanceRoleOptions {
  /** The S3 server the gate forwards to. */
  s3Endpoint: string;
  /** The keys the server knows; handed out with each session token. */
  accessKeyId: string;
  secretAccessKey: string;
  /** How long a token is good for before the SDK should renew it. @default 3_600_000 */
  lifetimeMs?: number;
  /** How long past `lifetimeMs` the gate still accepts a token (requests in flight). @default 1_000 */
  graceMs?: number;
  /** The gate holds every request this long before passing it on (to make a run span tokens). */
  delayMs?: number;
}

export interface InstanceRole {
  /** For AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  metadataUrl: string;
  /** The gate, for AWS_ENDPOINT_URL_S3. */
  s3Url: string;
  /** Session tokens issued so far. */
  issued(): number;
  /** Requests the gate refused (unknown or expired token), by S3 error code. */
  rejected(): Record<string, number>;
  /** Metadata reads without an IMDSv2 session token (IMDSv1), which are refused. */
  v1Attempts(): number;
  /** Issues credentials directly (as the metadata server would). */
  issue(): { accessKeyId: string; secretAccessKey: string; token: string };
  setLifetime(ms: number): void;
  close(): Promise<void>;
}

export async function startInstanceRole(options: InstanceRoleOptions): Promise<InstanceRole> {
  let lifetimeMs = options.lifetimeMs ?? 3_600_000;
  const graceMs = options.graceMs ?? 1_000;
  const imdsTokens = new Set<string>();
  const sessions = new Map<string, number>(); // token → accepted until (ms)
  const rejected: Record<string, number> = {};
  let v1Attempts = 0;

  const issue = () => {
    const token = `neff-session-${sessions.size + 1}-${randomBytes(12).toString("base64url")}`;
    sessions.set(token, Date.now() + lifetimeMs + graceMs);
    return { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, token };
  };

  const metadata = createServer((req, res) => {
    req.resume();
    const url = req.url ?? "";
    if (req.method === "PUT" && url === "/latest/api/token") {
      if (req.headers["x-aws-ec2-metadata-token-ttl-seconds"] === undefined) return answer(res, 400, "");
      const token = randomBytes(24).toString("base64url");
      imdsTokens.add(token);
      return answer(res, 200, token);
    }
    const token = req.headers["x-aws-ec2-metadata-token"];
    if (typeof token !== "string" || !imdsTokens.has(token)) {
      v1Attempts++;
      return answer(res, 401, "");
    }
    if (req.method !== "GET") return answer(res, 405, "");
    if (url === "/latest/meta-data/iam/security-credentials/") return answer(res, 200, ROLE);
    if (url === `/latest/meta-data/iam/security-credentials/${ROLE}`) {
      const credentials = issue();
      const now = Date.now();
      return answer(
        res,
        200,
        JSON.stringify({
          Code: "Success",
          LastUpdated: new Date(now).toISOString(),
          Type: "AWS-HMAC",
          AccessKeyId: credentials.accessKeyId,
          SecretAccessKey: credentials.secretAccessKey,
          Token: credentials.token,
          Expiration: new Date(now + lifetimeMs + SDK_REFRESH_WINDOW_MS).toISOString(),
        }),
      );
    }
    return answer(res, 404, "");
  });

  const target = new URL(options.s3Endpoint);
  const gate = createServer((req, res) => {
    const token = req.headers["x-amz-security-token"];
    const until = typeof token === "string" ? sessions.get(token) : undefined;
    const refusal =
      until === undefined
        ? {
            status: 403,
            code: "InvalidToken",
            message: "The provided token is malformed or otherwise invalid.",
          }
        : Date.now() > until
          ? { status: 400, code: "ExpiredToken", message: "The provided token has expired." }
          : null;
    if (refusal !== null) {
      rejected[refusal.code] = (rejected[refusal.code] ?? 0) + 1;
      req.resume();
      res.writeHead(refusal.status, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`,
      );
      return;
    }
    const forward = () => passOn(req, res, target);
    if (options.delayMs) setTimeout(forward, options.delayMs);
    else forward();
  });

  const [metadataPort, gatePort] = await Promise.all([listen(metadata), listen(gate)]);
  return {
    metadataUrl: `http://127.0.0.1:${metadataPort}`,
    s3Url: `http://127.0.0.1:${gatePort}`,
    issued: () => sessions.size,
    rejected: () => ({ ...rejected }),
    v1Attempts: () => v1Attempts,
    issue,
    setLifetime: (ms) => void (lifetimeMs = ms),
    close: async () => {
      await Promise.all([stop(metadata), stop(gate)]);
    },
  };
}

// --- internal ---

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function passOn(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once("error", () => res.destroy());
    },
  );
  upstream.once("error", () => res.destroy());
  // A client that goes away (an aborted read or upload) takes the upstream request with it.
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
