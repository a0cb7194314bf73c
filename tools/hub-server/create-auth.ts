import { randomBytes } from "node:crypto";

/** What a token may do. `write` includes `read`. */
export type TokenScope = "read" | "write";

/** A Hub access token the server accepts. */
export interface HubTokenOption {
  /** The bearer value; the official JS client requires the `hf_` prefix. */
  token: string;
  scope: TokenScope;
  /** Namespaces the token may touch; every namespace when absent. */
  namespaces?: string[];
  /** User name that the `me` pseudo-namespace stands for; the first namespace when absent. */
  user?: string;
}

/** Who sent a Hub request. */
export type HubIdentity = { kind: "none" } | { kind: "invalid" } | { kind: "token"; token: HubTokenOption };

/** What a CAS (Xet) access token was issued for. */
export interface CasGrant {
  bucket: string;
  scope: TokenScope;
  /** Expiry, unix seconds. */
  exp: number;
}

/** Who sent a CAS request. */
export type CasIdentity =
  { kind: "none" } | { kind: "invalid" } | { kind: "expired" } | { kind: "token"; grant: CasGrant };

/** Token checks of both services. Hub tokens and CAS tokens live in separate tables. */
export interface Auth {
  identifyHub(authorization: string | undefined): HubIdentity;
  identifyCas(authorization: string | undefined): CasIdentity;
  issueCasToken(bucket: string, scope: TokenScope): { accessToken: string; exp: number };
}

/** Options of {@link createAuth}. */
export interface AuthOptions {
  tokens: readonly HubTokenOption[];
  /** Lifetime of issued CAS tokens. */
  casTokenTtlSeconds: number;
  /** Clock in epoch milliseconds. */
  now: () => number;
}

/** Outcome of an access decision: ok, or the HTTP status to answer. */
export type AccessDecision = { ok: true } | { ok: false; status: 401 | 403 | 404 };

const bearer = (authorization: string | undefined): string | null => {
  if (authorization === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? "";
};

/** Creates the token tables. */
export function createAuth(options: AuthOptions): Auth {
  const hubTokens = new Map(options.tokens.map((t) => [t.token, t]));
  const casTokens = new Map<string, CasGrant>();
  return {
    identifyHub(authorization) {
      const value = bearer(authorization);
      if (value === null) return { kind: "none" };
      const token = hubTokens.get(value);
      return token === undefined ? { kind: "invalid" } : { kind: "token", token };
    },
    identifyCas(authorization) {
      const value = bearer(authorization);
      if (value === null) return { kind: "none" };
      const grant = casTokens.get(value);
      if (grant === undefined) return { kind: "invalid" };
      if (grant.exp * 1000 <= options.now()) return { kind: "expired" };
      return { kind: "token", grant };
    },
    issueCasToken(bucket, scope) {
      const accessToken = `xet_${randomBytes(24).toString("hex")}`;
      const exp = Math.floor(options.now() / 1000) + options.casTokenTtlSeconds;
      casTokens.set(accessToken, { bucket, scope, exp });
      return { accessToken, exp };
    },
  };
}

/** The namespace `me` stands for, or null when the token names no user. */
export function resolveNamespace(namespace: string, identity: HubIdentity): string | null {
  if (namespace !== "me") return namespace;
  if (identity.kind !== "token") return null;
  return identity.token.user ?? identity.token.namespaces?.[0] ?? null;
}

const mayTouch = (token: HubTokenOption, namespace: string): boolean =>
  token.namespaces === undefined || token.namespaces.includes(namespace);

/**
 * Decides access to an existing (or missing) bucket the way the Hub answers: 401 without a valid token
 * (unless public and read-only), 404 for a missing bucket or a private one the token cannot see, 403 for a
 * write the token may not do.
 */
export function decideBucketAccess(
  identity: HubIdentity,
  bucket: { namespace: string; private: boolean } | undefined,
  need: TokenScope,
): AccessDecision {
  if (identity.kind === "invalid") return { ok: false, status: 401 };
  if (identity.kind === "none") {
    if (bucket !== undefined && !bucket.private && need === "read") return { ok: true };
    return { ok: false, status: 401 };
  }
  if (bucket === undefined) return { ok: false, status: 404 };
  if (!mayTouch(identity.token, bucket.namespace)) {
    if (bucket.private) return { ok: false, status: 404 };
    return need === "read" ? { ok: true } : { ok: false, status: 403 };
  }
  if (need === "write" && identity.token.scope !== "write") return { ok: false, status: 403 };
  return { ok: true };
}

/** Decides whether a token may create a bucket in a namespace. */
export function decideCreateAccess(identity: HubIdentity, namespace: string): AccessDecision {
  if (identity.kind !== "token") return { ok: false, status: 401 };
  if (identity.token.scope !== "write" || !mayTouch(identity.token, namespace))
    return { ok: false, status: 403 };
  return { ok: true };
}

/** Decides CAS access: 401 without a live CAS token (a Hub token is not one), 403 for a write with a read token. */
export function decideCasAccess(identity: CasIdentity, need: TokenScope): AccessDecision {
  if (identity.kind !== "token") return { ok: false, status: 401 };
  if (need === "write" && identity.grant.scope !== "write") return { ok: false, status: 403 };
  return { ok: true };
}
