/** `neff-cache set BUCKET`: remembers the bucket for this user, where optimum-neuron looks too. */
import { setBucket } from "../local/bucket-config.ts";
import type { SetBucketResult } from "../local/bucket-config.ts";

export interface SetBucketCommandOptions {
  /** Bucket id or store URL. */
  bucket: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Result of `set`: the value written, the file, and the value it replaced. */
export type SetBucketCommandResult = SetBucketResult;

/** Validates and stores the bucket; returns what was written and what it replaced. */
export async function setBucketCommand(options: SetBucketCommandOptions): Promise<SetBucketCommandResult> {
  return setBucket(options.bucket, { env: options.env });
}
