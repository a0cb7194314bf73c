import { describe, expect, it } from "vitest";
import type { ProducerSigningKey } from "./producer-key.ts";
import { fingerprintId, generateProducerKeyPair, parseSigningKey } from "./producer-key.ts";
import type { FoundSignature, TrustPolicy } from "./signature-file.ts";
import { buildSignature, judgeSignatures } from "./signature-file.ts";

function newKey(): ProducerSigningKey {
  const parsed = parseSigningKey(generateProducerKeyPair().privatePem);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.key;
}

const A = newKey();
const B = newKey();
const C = newKey();
const KEY = "neuronxcc-2.21.0+abc/org/model/default/MODULE_1a2b+3c4d/neff-cache.manifest.json";
const BYTES = '{"files": []}\n';
const AT = new Date("2026-12-01T00:00:00Z");

const found = (key: ProducerSigningKey, signedKey = KEY, bytes = BYTES): FoundSignature => ({
  keyId: fingerprintId(key.fingerprint),
  text: buildSignature(signedKey, bytes, key, AT),
});
const policy = (
  trusted: ProducerSigningKey[],
  revoked: ProducerSigningKey[] = [],
  fingerprintOnly = false,
): TrustPolicy => ({
  trusted: new Map(trusted.map((key) => [key.fingerprint, fingerprintOnly ? null : key.publicKey])),
  revoked: new Set(revoked.map((key) => key.fingerprint)),
});

describe("judgeSignatures", () => {
  const cases: Array<{
    name: string;
    found: FoundSignature[];
    policy: TrustPolicy;
    bytes?: string;
    expected: { trusted: true; fingerprint: string } | { trusted: false; reason: string };
  }> = [
    {
      name: "a valid signature by a trusted key",
      found: [found(A)],
      policy: policy([A]),
      expected: { trusted: true, fingerprint: A.fingerprint },
    },
    {
      name: "a trusted fingerprint alone, verified with the key the signature carries",
      found: [found(A)],
      policy: policy([A], [], true),
      expected: { trusted: true, fingerprint: A.fingerprint },
    },
    {
      name: "no signature",
      found: [],
      policy: policy([A]),
      expected: { trusted: false, reason: "unsigned" },
    },
    {
      name: "a signature by a key nobody trusts (not even read)",
      found: [{ keyId: fingerprintId(B.fingerprint), text: null }],
      policy: policy([A]),
      expected: { trusted: false, reason: "unknown-key" },
    },
    {
      name: "bytes edited after signing",
      found: [found(A)],
      policy: policy([A]),
      bytes: '{"files": [1]}\n',
      expected: { trusted: false, reason: "bad-signature" },
    },
    {
      name: "a signature moved from another entry",
      found: [found(A, KEY.replace("MODULE_1a2b", "MODULE_9f9f"))],
      policy: policy([A]),
      expected: { trusted: false, reason: "bad-signature" },
    },
    {
      name: "a signature file renamed to a trusted key's id",
      found: [{ keyId: fingerprintId(A.fingerprint), text: found(B).text }],
      policy: policy([A]),
      expected: { trusted: false, reason: "bad-signature" },
    },
    {
      name: "a forged signature carrying another public key under a trusted fingerprint",
      found: [
        {
          keyId: fingerprintId(A.fingerprint),
          text: (found(B).text ?? "").replace(B.fingerprint, A.fingerprint),
        },
      ],
      policy: policy([A], [], true),
      expected: { trusted: false, reason: "bad-signature" },
    },
    {
      name: "rotation: either of two trusted keys",
      found: [found(B)],
      policy: policy([A, B]),
      expected: { trusted: true, fingerprint: B.fingerprint },
    },
    {
      name: "a revoked key, even while also trusted",
      found: [found(A)],
      policy: policy([A, B], [A]),
      expected: { trusted: false, reason: "revoked-key" },
    },
    {
      name: "a revoked key's signature beside a valid trusted one",
      found: [found(A), found(C)],
      policy: policy([A, C], [A]),
      expected: { trusted: true, fingerprint: C.fingerprint },
    },
    {
      name: "a broken signature by a trusted key beside an unknown one",
      found: [
        { keyId: fingerprintId(A.fingerprint), text: "not json" },
        { keyId: fingerprintId(B.fingerprint), text: null },
      ],
      policy: policy([A]),
      expected: { trusted: false, reason: "bad-signature" },
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const verdict = judgeSignatures(KEY, testCase.bytes ?? BYTES, testCase.found, testCase.policy);
      expect(verdict).toMatchObject(testCase.expected);
    });
  }

  it("says what is wrong with a tampered file", () => {
    const verdict = judgeSignatures(KEY, "changed", [found(A)], policy([A]));
    expect(verdict).toMatchObject({
      trusted: false,
      detail: expect.stringContaining("edited after signing"),
    });
  });

  it("never carries the private key", () => {
    const text = found(A).text ?? "";
    const privateDer = A.privateKey.export({ format: "der", type: "pkcs8" });
    expect(text).not.toContain(privateDer.subarray(-32).toString("base64"));
    expect(text).not.toContain("PRIVATE");
  });
});
