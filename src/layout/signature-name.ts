/**
 * Where a signature lives: the signature of the file at key K by a key whose fingerprint is
 * `ed25519:<32 hex>` is stored at `K.sig-<32 hex>`. One file can so carry the signatures of
 * several keys (a CI producer's, then a reviewer's after a promotion), and no signature name ends
 * in `.json`, which optimum-neuron's lookup would read as an export record. What a signature
 * says is in `src/trust/signature-file.ts`.
 */

/** Between a signed file's name and the key id in its signature's name. */
export const SIGNATURE_SUFFIX = ".sig-";

const SIGNATURE_NAME = /^(.+)\.sig-([0-9a-f]{32})$/;

/** The key (or file name) of the signature of `signed` by the key with id `keyId` (32 hex). */
export function signatureName(signed: string, keyId: string): string {
  return `${signed}${SIGNATURE_SUFFIX}${keyId}`;
}

/** Reads a signature's key or file name: what it signs and the key id, or null. */
export function parseSignatureName(name: string): { signed: string; keyId: string } | null {
  const match = SIGNATURE_NAME.exec(name);
  return match ? { signed: match[1] ?? "", keyId: match[2] ?? "" } : null;
}
