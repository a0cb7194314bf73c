import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  generateProducerKeyPair,
  isFingerprint,
  parsePublicKey,
  parseSigningKey,
  publicKeyFromRaw,
} from "./producer-key.ts";

describe("producer keys", () => {
  it("reads back both halves of a new pair under one fingerprint", () => {
    const pair = generateProducerKeyPair();
    const signing = parseSigningKey(pair.privatePem);
    const pub = parsePublicKey(pair.publicPem);
    expect(isFingerprint(pair.fingerprint)).toBe(true);
    expect(signing.ok && signing.key.fingerprint).toBe(pair.fingerprint);
    expect(pub.ok && pub.key.fingerprint).toBe(pair.fingerprint);
    expect(pub.ok && publicKeyFromRaw(pub.key.rawBase64)?.fingerprint).toBe(pair.fingerprint);
  });

  it("gives every pair its own fingerprint", () => {
    expect(generateProducerKeyPair().fingerprint).not.toBe(generateProducerKeyPair().fingerprint);
  });

  it("refuses a private key where a public key is trusted", () => {
    expect(parsePublicKey(generateProducerKeyPair().privatePem)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("private key"),
    });
  });

  it("refuses keys of other algorithms and non-keys", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(parseSigningKey(rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString())).toMatchObject(
      {
        ok: false,
        reason: expect.stringContaining("not Ed25519"),
      },
    );
    expect(parsePublicKey(rsa.publicKey.export({ format: "pem", type: "spki" }).toString())).toMatchObject({
      ok: false,
    });
    expect(parseSigningKey("hello")).toMatchObject({ ok: false });
    expect(publicKeyFromRaw("AAAA")).toBeNull();
  });

  it("accepts only well-formed fingerprints", () => {
    expect(isFingerprint("ed25519:" + "a".repeat(32))).toBe(true);
    expect(isFingerprint("ed25519:" + "A".repeat(32))).toBe(false);
    expect(isFingerprint("ed25519:" + "a".repeat(31))).toBe(false);
    expect(isFingerprint("rsa:" + "a".repeat(32))).toBe(false);
  });
});
