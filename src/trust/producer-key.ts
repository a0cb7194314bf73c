/**
 * Producer keys: Ed25519 key pairs (Node's own crypto, no native dependency) that sign what a
 * trusted producer publishes. The private key is PKCS#8 PEM, the public key SPKI PEM, the forms
 * `openssl pkey` reads. A key is named by its fingerprint, `ed25519:` + the first 32 hex digits
 * of the SHA-256 of the raw 32-byte public key: 128 bits, so forging a key with a trusted
 * fingerprint is a second-preimage attack on SHA-256 truncated to 128 bits (about 2^128 work).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";

/** Prefix of every fingerprint. */
export const FINGERPRINT_PREFIX = "ed25519:";
/** `ed25519:` and 32 lowercase hex digits. */
const FINGERPRINT = /^ed25519:[0-9a-f]{32}$/;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key follows it. */
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** A public key with its fingerprint. */
export interface ProducerPublicKey {
  fingerprint: string;
  key: KeyObject;
  /** The raw 32-byte key, base64: what signature files carry. */
  rawBase64: string;
}

/** A private signing key with its public half. */
export interface ProducerSigningKey {
  fingerprint: string;
  privateKey: KeyObject;
  publicKey: ProducerPublicKey;
}

/** A new key pair as the files `keygen` writes. */
export interface GeneratedKeyPair {
  fingerprint: string;
  privatePem: string;
  publicPem: string;
}

/** Result of reading a key: the key, or why the text is not one. */
export type KeyParseResult<T> = { ok: true; key: T } | { ok: false; reason: string };

/** Makes a new Ed25519 key pair. */
export function generateProducerKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    fingerprint: describePublicKey(publicKey).fingerprint,
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

/** Reads a private key PEM (`PATH.key`). */
export function parseSigningKey(pem: string): KeyParseResult<ProducerSigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    return { ok: false, reason: "it is not a PEM private key" };
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    return { ok: false, reason: `it is a ${privateKey.asymmetricKeyType ?? "unknown"} key, not Ed25519` };
  }
  const publicKey = describePublicKey(createPublicKey(privateKey));
  return { ok: true, key: { fingerprint: publicKey.fingerprint, privateKey, publicKey } };
}

/** Reads a public key PEM (`PATH.pub`). A private key is refused: it must never be handed out. */
export function parsePublicKey(pem: string): KeyParseResult<ProducerPublicKey> {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return { ok: false, reason: "it is a private key; trust the .pub file, never the .key file" };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch {
    return { ok: false, reason: "it is not a PEM public key" };
  }
  if (key.asymmetricKeyType !== "ed25519") {
    return { ok: false, reason: `it is a ${key.asymmetricKeyType ?? "unknown"} key, not Ed25519` };
  }
  return { ok: true, key: describePublicKey(key) };
}

/** The public key a signature file carries (raw 32 bytes, base64), or null when malformed. */
export function publicKeyFromRaw(rawBase64: string): ProducerPublicKey | null {
  const raw = Buffer.from(rawBase64, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== rawBase64) return null;
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
      format: "der",
      type: "spki",
    });
    return describePublicKey(key);
  } catch {
    return null;
  }
}

/** True when `text` is a fingerprint (`ed25519:` + 32 lowercase hex digits). */
export function isFingerprint(text: string): boolean {
  return FINGERPRINT.test(text);
}

/** The part of a fingerprint used in file names: its 32 hex digits. */
export function fingerprintId(fingerprint: string): string {
  return fingerprint.slice(FINGERPRINT_PREFIX.length);
}

// --- internal ---

function describePublicKey(key: KeyObject): ProducerPublicKey {
  const der = key.export({ format: "der", type: "spki" });
  const raw = der.subarray(SPKI_ED25519_PREFIX.length);
  const digest = createHash("sha256").update(raw).digest("hex").slice(0, 32);
  return { fingerprint: FINGERPRINT_PREFIX + digest, key, rawBase64: raw.toString("base64") };
}
