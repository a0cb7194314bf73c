/**
 * Signature files: what a producer's key says about one published file — an entry's manifest
 * (which lists every file of the entry with its size and sha256, the module and the compiler
 * version) or an export record. Where they are stored: `src/layout/signature-name.ts`.
 *
 * The signed statement binds the file's layout key as well as its bytes: the key names the area,
 * the model, the task, the compiler version and the entry, so a signed manifest copied under
 * another model or entry no longer verifies. Pure: text in, text or a verdict out.
 */
import { createHash, sign, verify } from "node:crypto";
import { isPyJsonObject, parsePyJson, pyJsonDumps } from "../layout/py-json.ts";
import { signatureName } from "../layout/signature-name.ts";
import type { ProducerPublicKey, ProducerSigningKey } from "./producer-key.ts";
import { fingerprintId, isFingerprint, publicKeyFromRaw } from "./producer-key.ts";

/** Format id of every signature file. */
export const SIGNATURE_FORMAT = "neff-cache/signature";
export const SIGNATURE_FORMAT_VERSION = 1;
/** Signature files are a few hundred bytes; anything larger is not one. */
export const MAX_SIGNATURE_BYTES = 16 * 1024;

/** What a consumer trusts: keys by fingerprint (null: fingerprint only), and revoked ones. */
export interface TrustPolicy {
  trusted: ReadonlyMap<string, ProducerPublicKey | null>;
  /** Refused even when also trusted. */
  revoked: ReadonlySet<string>;
}

/** Why a signed file is not trusted. */
export type UntrustedReason = "unsigned" | "unknown-key" | "revoked-key" | "bad-signature";

export type TrustVerdict =
  { trusted: true; fingerprint: string } | { trusted: false; reason: UntrustedReason; detail: string };

/** One signature file found beside a signed file. */
export interface FoundSignature {
  /** The 32 hex digits of its name. */
  keyId: string;
  /** Its text, when it was read (only signatures of trusted or revoked keys need reading). */
  text: string | null;
}

/** The key of the signature of `signedKey` by `fingerprint`. */
export function signatureKey(signedKey: string, fingerprint: string): string {
  return signatureName(signedKey, fingerprintId(fingerprint));
}

/** Whether the reader must open this signature to judge it (its key is trusted or revoked). */
export function signatureNeedsReading(policy: TrustPolicy, keyId: string): boolean {
  for (const fingerprint of [...policy.trusted.keys(), ...policy.revoked]) {
    if (fingerprintId(fingerprint) === keyId) return true;
  }
  return false;
}

/** The signature file for the bytes of the file at layout key `signedKey`. */
export function buildSignature(
  signedKey: string,
  bytes: string | Uint8Array,
  key: ProducerSigningKey,
  signedAt: Date,
): string {
  const sha256 = sha256Hex(bytes);
  const signature = sign(null, statement(signedKey, sha256), key.privateKey).toString("base64");
  return (
    pyJsonDumps(
      {
        format: SIGNATURE_FORMAT,
        formatVersion: SIGNATURE_FORMAT_VERSION,
        key: key.fingerprint,
        publicKey: key.publicKey.rawBase64,
        signed: signedKey,
        sha256,
        signature,
        signedAt: signedAt.toISOString(),
      },
      { sortKeys: true, indent: 2 },
    ) + "\n"
  );
}

/**
 * Judges the file at layout key `signedKey` with these bytes by the signatures found beside it.
 * Most specific reason first: a valid signature by a trusted key wins; else a signature by a
 * trusted key that does not verify; else a revoked key; else keys nobody trusts; else none.
 */
export function judgeSignatures(
  signedKey: string,
  bytes: string | Uint8Array,
  found: readonly FoundSignature[],
  policy: TrustPolicy,
): TrustVerdict {
  if (found.length === 0) return { trusted: false, reason: "unsigned", detail: "it carries no signature" };
  const sha256 = sha256Hex(bytes);
  const bad: string[] = [];
  const revoked: string[] = [];
  for (const signature of found) {
    if (signature.text === null) continue;
    const checked = checkSignature(signedKey, sha256, signature, policy);
    if (checked.ok) {
      if (policy.revoked.has(checked.fingerprint)) revoked.push(checked.fingerprint);
      else if (policy.trusted.has(checked.fingerprint))
        return { trusted: true, fingerprint: checked.fingerprint };
      continue;
    }
    if (checked.claimed !== null && policy.revoked.has(checked.claimed)) revoked.push(checked.claimed);
    else bad.push(`${checked.claimed ?? `key ${signature.keyId}`}: ${checked.reason}`);
  }
  if (bad.length > 0) return { trusted: false, reason: "bad-signature", detail: bad.join("; ") };
  if (revoked.length > 0) {
    return {
      trusted: false,
      reason: "revoked-key",
      detail: `signed only by revoked ${[...new Set(revoked)].join(", ")}`,
    };
  }
  const ids = found.map((signature) => `ed25519:${signature.keyId}`);
  return { trusted: false, reason: "unknown-key", detail: `signed only by untrusted ${ids.join(", ")}` };
}

/** Hex SHA-256 of text (UTF-8) or bytes. */
export function sha256Hex(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// --- internal ---

function statement(signedKey: string, sha256: string): Buffer {
  return Buffer.from(
    `neff-cache signature v${SIGNATURE_FORMAT_VERSION}\nsigned: ${signedKey}\nsha256: ${sha256}\n`,
    "utf8",
  );
}

type CheckResult = { ok: true; fingerprint: string } | { ok: false; claimed: string | null; reason: string };

function checkSignature(
  signedKey: string,
  sha256: string,
  found: FoundSignature,
  policy: TrustPolicy,
): CheckResult {
  const parsed = parsePyJson(found.text ?? "");
  if (!parsed.ok || !isPyJsonObject(parsed.value))
    return { ok: false, claimed: null, reason: "not a JSON object" };
  const body = parsed.value;
  const claimed = typeof body.key === "string" && isFingerprint(body.key) ? body.key : null;
  const fail = (reason: string): CheckResult => ({ ok: false, claimed, reason });
  if (body.format !== SIGNATURE_FORMAT) return fail(`format is not ${SIGNATURE_FORMAT}`);
  if (body.formatVersion !== SIGNATURE_FORMAT_VERSION) return fail("unknown formatVersion");
  if (claimed === null) return fail("key is not a fingerprint");
  if (fingerprintId(claimed) !== found.keyId) return fail("its file name names another key");
  if (typeof body.publicKey !== "string" || typeof body.signature !== "string") {
    return fail("publicKey or signature is missing");
  }
  const trustedKey = policy.trusted.get(claimed) ?? null;
  const publicKey = trustedKey ?? publicKeyFromRaw(body.publicKey);
  if (publicKey === null || publicKey.fingerprint !== claimed) {
    return fail("its public key does not match its fingerprint");
  }
  if (body.signed !== signedKey) return fail(`it signs ${String(body.signed)}, not this file`);
  if (body.sha256 !== sha256) return fail("the signed bytes differ from these (edited after signing)");
  const signature = Buffer.from(body.signature, "base64");
  const valid = verify(null, statement(signedKey, sha256), publicKey.key, signature);
  return valid ? { ok: true, fingerprint: claimed } : fail("the signature does not verify");
}
