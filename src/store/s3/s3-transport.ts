/**
 * The S3 transport contract: the few S3 requests the store is built on, each one request (no
 * retries, no key prefixing, no error wording: `s3-store.ts` does those once for both
 * implementations). Two implementations: `sdk-transport.ts` (`@aws-sdk/client-s3`, any
 * credentials, AWS itself) and `fast-transport.ts` (signed requests sent by us, for custom
 * endpoints with static keys). `s3-settings.ts` chooses one per store.
 *
 * Failures: a server's answer is an `S3ResponseError` (s3-error.ts); a network failure is the
 * Node error; a missing object is `null`, never an error.
 */
import type { Readable } from "node:stream";

export interface ListPageInput {
  prefix: string | undefined;
  delimiter: string | undefined;
  continuationToken: string | undefined;
  /** Only keys after this one (first page only: a continuation token carries it on). */
  startAfter?: string | undefined;
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string | undefined;
  lastModified: Date | undefined;
}

export interface ListPage {
  objects: ListedObject[];
  /** Sub-prefixes (with their trailing "/") of a listing with a delimiter. */
  prefixes: string[];
  /** Set when the listing goes on: the token of the next page. */
  nextToken: string | undefined;
  isTruncated: boolean;
}

export interface HeadResult {
  size: number;
  etag: string | undefined;
  lastModified: Date | undefined;
}

/** A request body: a stream (of exactly `size` bytes) or the bytes themselves. */
export type Body = Readable | Uint8Array;

export interface PutInput {
  key: string;
  body: Body;
  size: number;
  /** Send If-None-Match: * (a 412 answer means the key exists). */
  ifAbsent: boolean;
  /**
   * Hex SHA-256 of the body when known: signed as the payload hash, so the server refuses a body
   * damaged on the way (XAmzContentSHA256Mismatch). Without it a streamed body goes unsigned.
   */
  sha256?: string;
}

/** A PUT's answer: what the store needs to tell whether the ETag is the body's MD5. */
export interface UploadAnswer {
  etag: string | undefined;
  /** `x-amz-server-side-encryption` of the answer (`AES256`, `aws:kms`, …). */
  serverSideEncryption: string | undefined;
}

export interface UploadPartInput {
  key: string;
  uploadId: string;
  partNumber: number;
  body: Body;
  size: number;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface ListUploadsInput {
  prefix: string | undefined;
  keyMarker: string | undefined;
  uploadIdMarker: string | undefined;
}

/** A multipart upload begun and neither completed nor aborted. */
export interface PendingUpload {
  key: string;
  uploadId: string;
  initiated: Date | undefined;
}

export interface ListUploadsPage {
  uploads: PendingUpload[];
  /** Set when the listing goes on: where the next page starts. */
  nextKeyMarker: string | undefined;
  nextUploadIdMarker: string | undefined;
  isTruncated: boolean;
}

export interface DeleteFailure {
  key: string;
  code: string;
}

export interface S3Transport {
  /** Which implementation this is, for tests and debug logs. */
  readonly kind: "sdk" | "fast";
  listPage(input: ListPageInput, signal?: AbortSignal): Promise<ListPage>;
  /** The body once the server answered 200/206; null for a missing key (a missing bucket throws). */
  get(
    key: string,
    range: { offset: number; length: number } | undefined,
    signal?: AbortSignal,
  ): Promise<Readable | null>;
  /** Null for a missing key (HEAD cannot tell a missing bucket from a missing key). */
  head(key: string, signal?: AbortSignal): Promise<HeadResult | null>;
  put(input: PutInput, signal?: AbortSignal): Promise<UploadAnswer>;
  /** Copies inside the bucket; null when `fromKey` is missing. */
  copy(fromKey: string, toKey: string, signal?: AbortSignal): Promise<{ etag: string | undefined } | null>;
  /** Deletes up to 1,000 keys in one request; missing keys are not failures. */
  deleteMany(keys: readonly string[], signal?: AbortSignal): Promise<DeleteFailure[]>;
  createMultipart(key: string, signal?: AbortSignal): Promise<{ uploadId: string }>;
  uploadPart(input: UploadPartInput, signal?: AbortSignal): Promise<UploadAnswer & { etag: string }>;
  completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    ifAbsent: boolean,
    signal?: AbortSignal,
  ): Promise<void>;
  abortMultipart(key: string, uploadId: string, signal?: AbortSignal): Promise<void>;
  /** One page of ListMultipartUploads: uploads begun under the prefix and still open. */
  listMultipartUploads(input: ListUploadsInput, signal?: AbortSignal): Promise<ListUploadsPage>;
  /** Whether the bucket exists and these credentials reach it. */
  headBucket(signal?: AbortSignal): Promise<boolean>;
  /** Creates the bucket; `locationConstraint` for AWS regions other than us-east-1. */
  createBucket(locationConstraint: string | undefined, signal?: AbortSignal): Promise<void>;
  /** Releases what the transport holds (not the shared socket pool, which the store owns). */
  close(): void;
}

/** DeleteObjects takes at most 1,000 keys. */
export const MAX_DELETE_BATCH = 1000;
