import { describe, expect, it } from "vitest";
import {
  createAuth,
  decideBucketAccess,
  decideCasAccess,
  decideCreateAccess,
  resolveNamespace,
} from "./create-auth.ts";
import type { HubIdentity } from "./create-auth.ts";

const write: HubIdentity = { kind: "token", token: { token: "hf_w", scope: "write" } };
const read: HubIdentity = { kind: "token", token: { token: "hf_r", scope: "read" } };
const scoped: HubIdentity = { kind: "token", token: { token: "hf_s", scope: "write", namespaces: ["team"] } };
const privateBucket = { namespace: "ns", private: true };
const publicBucket = { namespace: "ns", private: false };

describe("createAuth", () => {
  it("tells missing, unknown and known Hub tokens apart", () => {
    const auth = createAuth({
      tokens: [{ token: "hf_w", scope: "write" }],
      casTokenTtlSeconds: 60,
      now: () => 0,
    });
    expect(auth.identifyHub(undefined)).toEqual({ kind: "none" });
    expect(auth.identifyHub("Bearer hf_x")).toEqual({ kind: "invalid" });
    expect(auth.identifyHub("Basic abc")).toEqual({ kind: "invalid" });
    expect(auth.identifyHub("Bearer hf_w")).toMatchObject({ kind: "token", token: { scope: "write" } });
  });

  it("issues CAS tokens that expire and that are not Hub tokens", () => {
    let clock = 1_000_000;
    const auth = createAuth({
      tokens: [{ token: "hf_w", scope: "write" }],
      casTokenTtlSeconds: 60,
      now: () => clock,
    });
    const issued = auth.issueCasToken("ns/b", "read");
    expect(issued.exp).toBe(1000 + 60);
    expect(auth.identifyCas(`Bearer ${issued.accessToken}`)).toEqual({
      kind: "token",
      grant: { bucket: "ns/b", scope: "read", exp: 1060 },
    });
    expect(auth.identifyCas("Bearer hf_w")).toEqual({ kind: "invalid" });
    expect(auth.identifyHub(`Bearer ${issued.accessToken}`)).toEqual({ kind: "invalid" });
    clock += 61_000;
    expect(auth.identifyCas(`Bearer ${issued.accessToken}`)).toEqual({ kind: "expired" });
  });
});

describe("access decisions", () => {
  it("answers 401 without a valid token, except reads of public buckets", () => {
    expect(decideBucketAccess({ kind: "none" }, privateBucket, "read")).toEqual({ ok: false, status: 401 });
    expect(decideBucketAccess({ kind: "none" }, publicBucket, "read")).toEqual({ ok: true });
    expect(decideBucketAccess({ kind: "none" }, publicBucket, "write")).toEqual({ ok: false, status: 401 });
    expect(decideBucketAccess({ kind: "invalid" }, publicBucket, "read")).toEqual({ ok: false, status: 401 });
  });

  it("answers 404 for missing or hidden buckets and 403 for writes without permission", () => {
    expect(decideBucketAccess(write, undefined, "read")).toEqual({ ok: false, status: 404 });
    expect(decideBucketAccess(read, privateBucket, "write")).toEqual({ ok: false, status: 403 });
    expect(decideBucketAccess(read, privateBucket, "read")).toEqual({ ok: true });
    expect(decideBucketAccess(scoped, privateBucket, "read")).toEqual({ ok: false, status: 404 });
    expect(decideBucketAccess(scoped, publicBucket, "read")).toEqual({ ok: true });
    expect(decideBucketAccess(scoped, publicBucket, "write")).toEqual({ ok: false, status: 403 });
    expect(decideCreateAccess(read, "ns")).toEqual({ ok: false, status: 403 });
    expect(decideCreateAccess(scoped, "ns")).toEqual({ ok: false, status: 403 });
    expect(decideCreateAccess(scoped, "team")).toEqual({ ok: true });
    expect(decideCreateAccess({ kind: "none" }, "ns")).toEqual({ ok: false, status: 401 });
  });

  it("lets CAS writes through only with a write grant", () => {
    const grant = (scope: "read" | "write") => ({
      kind: "token" as const,
      grant: { bucket: "b", scope, exp: 0 },
    });
    expect(decideCasAccess(grant("write"), "write")).toEqual({ ok: true });
    expect(decideCasAccess(grant("read"), "write")).toEqual({ ok: false, status: 403 });
    expect(decideCasAccess(grant("read"), "read")).toEqual({ ok: true });
    expect(decideCasAccess({ kind: "expired" }, "read")).toEqual({ ok: false, status: 401 });
  });

  it("resolves the me namespace from the token", () => {
    expect(resolveNamespace("me", scoped)).toBe("team");
    expect(resolveNamespace("me", write)).toBeNull();
    expect(resolveNamespace("ns", { kind: "none" })).toBe("ns");
  });
});
