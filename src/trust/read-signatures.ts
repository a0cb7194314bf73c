/**
 * The I/O half of judging a signed file: reads the signatures beside it that the policy cares
 * about (keys it trusts or revoked; others are judged by name alone) and hands them to
 * `judgeSignatures`.
 */
import type { Store } from "../store/store.ts";
import { signatureName } from "../layout/signature-name.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import type { FoundSignature, TrustPolicy, TrustVerdict } from "./signature-file.ts";
import { MAX_SIGNATURE_BYTES, judgeSignatures, signatureNeedsReading } from "./signature-file.ts";

export interface JudgeStoredFileOptions {
  store: Store;
  /** The signed file's key. */
  key: string;
  /** Its bytes, as read. */
  bytes: string | Uint8Array;
  /** Ids of the keys whose signatures the listing shows beside it. */
  signatureKeyIds: Iterable<string>;
  policy: TrustPolicy;
  signal?: AbortSignal;
}

/** Whether the file's bytes carry a valid signature by a key the policy trusts, and if not why. */
export async function judgeStoredFile(options: JudgeStoredFileOptions): Promise<TrustVerdict> {
  const found: FoundSignature[] = [];
  for (const keyId of new Set(options.signatureKeyIds)) {
    const text = signatureNeedsReading(options.policy, keyId)
      ? await readStoreText(options.store, signatureName(options.key, keyId), {
          signal: options.signal,
          maxBytes: MAX_SIGNATURE_BYTES,
        }).catch((error: unknown) => {
          if (options.signal?.aborted) throw error;
          // Unreadable (too large, gone): judged as a signature that does not verify.
          return "";
        })
      : null;
    found.push({ keyId, text });
  }
  return judgeSignatures(options.key, options.bytes, found, options.policy);
}
