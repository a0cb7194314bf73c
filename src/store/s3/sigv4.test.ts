import { createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { createSigningKeyCache, signRequest, uriEncode } from "./sigv4.ts";

interface Vector {
  name: string;
  source: "suite" | "s3";
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signedHeaders: string;
  signature: string;
}

const fixture = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/sigv4-vectors.json", import.meta.url), "utf8"),
) as {
  credentials: Record<Vector["source"], { accessKeyId: string; secretAccessKey: string }>;
  vectors: Vector[];
};

const WHEN: Record<Vector["source"], Date> = {
  suite: new Date("2015-08-30T12:36:00Z"),
  s3: new Date("2013-05-24T00:00:00Z"),
};

describe("signRequest", () => {
  it.each(fixture.vectors)("reproduces AWS's published vector: $name", (vector) => {
    const headers = signRequest({
      method: vector.method,
      url: new URL(vector.url),
      headers: vector.headers,
      payloadHash: createHash("sha256")
        .update(vector.body ?? "")
        .digest("hex"),
      region: "us-east-1",
      service: vector.source === "s3" ? "s3" : "service",
      contentSha256Header: vector.source === "s3",
      credentials: fixture.credentials[vector.source],
      now: WHEN[vector.source],
    });
    const scope = `${WHEN[vector.source].toISOString().slice(0, 10).replace(/-/g, "")}/us-east-1/${vector.source === "s3" ? "s3" : "service"}/aws4_request`;
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=${fixture.credentials[vector.source].accessKeyId}/${scope}, ` +
        `SignedHeaders=${vector.signedHeaders}, Signature=${vector.signature}`,
    );
  });

  it("signs the same with a signing-key cache, across days, regions and secrets", () => {
    const cache = createSigningKeyCache();
    const url = new URL("https://examplebucket.s3.amazonaws.com/test.txt");
    const variants = [
      { now: new Date("2013-05-24T00:00:00Z"), region: "us-east-1", secret: "s1" },
      { now: new Date("2013-05-24T23:59:59Z"), region: "us-east-1", secret: "s1" },
      { now: new Date("2013-05-25T00:00:00Z"), region: "us-east-1", secret: "s1" },
      { now: new Date("2013-05-25T00:00:00Z"), region: "eu-west-3", secret: "s1" },
      { now: new Date("2013-05-25T00:00:00Z"), region: "eu-west-3", secret: "s2" },
      { now: new Date("2013-05-24T00:00:00Z"), region: "us-east-1", secret: "s1" },
    ];
    for (const { now, region, secret } of variants) {
      const credentials = { accessKeyId: "AK", secretAccessKey: secret };
      expect(signRequest({ method: "GET", url, region, credentials, now, keyCache: cache })).toEqual(
        signRequest({ method: "GET", url, region, credentials, now }),
      );
    }
  });

  it("signs what the SDK's own signer signs, for S3 requests with odd keys, queries, tokens and headers", async () => {
    const credentials = {
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE+token/with=chars",
    };
    const now = new Date("2026-11-30T08:09:10Z");
    const reference = new SignatureV4({
      service: "s3",
      region: "eu-west-3",
      credentials,
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    const keys = [
      "neff/2.19/MODULE_1+2/model.neff",
      "a b/c~d_e-f.g/h(i)*j!k'l",
      "ünïcødé/日本/файл",
      "x/%41/y",
      "q=1&r=2/;,:@$",
      `${randomBytes(8).toString("hex")}/${"deep/".repeat(20)}leaf`,
    ];
    const queries: Array<Array<[string, string]>> = [
      [],
      [
        ["list-type", "2"],
        ["prefix", "neff/2.19/"],
        ["delimiter", "/"],
      ],
      [["continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM+=="]],
      [["uploads", ""]],
      [
        ["partNumber", "3"],
        ["uploadId", "2~abc.DEF_g-h"],
      ],
      [["delete", ""]],
    ];
    for (const key of keys) {
      for (const query of queries) {
        for (const [method, extra] of [
          ["GET", { range: "bytes=0-9" }],
          ["PUT", { "if-none-match": "*", "content-length": "12" }],
          ["POST", { "content-md5": "1B2M2Y8AsgTpgAmY7PhCfg==" }],
          ["HEAD", {}],
        ] as const) {
          const url = new URL("http://127.0.0.1:7480");
          url.pathname = `/bucket-1/${key.split("/").map(uriEncode).join("/")}`;
          url.search = query
            .map(([n, v]) => (v === "" ? uriEncode(n) : `${uriEncode(n)}=${uriEncode(v)}`))
            .join("&");
          const payloadHash = method === "PUT" ? "UNSIGNED-PAYLOAD" : createHash("sha256").digest("hex");
          const ours = signRequest({
            method,
            url,
            headers: extra,
            payloadHash,
            region: "eu-west-3",
            credentials,
            now,
          });
          const theirs = await reference.sign(
            {
              method,
              protocol: "http:",
              hostname: url.hostname,
              port: Number(url.port),
              path: url.pathname,
              query: Object.fromEntries(query.map(([n, v]) => [n, v])),
              headers: { ...extra, host: url.host, "x-amz-content-sha256": payloadHash },
            },
            { signingDate: now },
          );
          expect(ours.authorization, `${method} ${url.href}`).toBe(theirs.headers.authorization);
        }
      }
    }
  });
});

/** The Hash the smithy signer wants, over node:crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}
