/**
 * The benchmark's own housekeeping on the S3 server (bucket, clean-up, checks): plain SDK
 * calls, never part of a measurement.
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { runCommand } from "./measure.ts";
import type { S3Endpoint } from "./s3-endpoint.ts";

/** ListObjectsV2 and DeleteObjects both stop at 1,000 keys per request. */
const PAGE_KEYS = 1000;

export interface S3Admin {
  ensureBucket(bucket: string): Promise<void>;
  /** Number of objects (files) and bytes under `prefix/`. */
  measurePrefix(bucket: string, prefix: string): Promise<{ files: number; bytes: number }>;
  /**
   * Deletes a prefix and, when the gateway's Ceph config is known, frees the deleted data now:
   * RGW otherwise keeps large objects' tails for hours, and repeated uploads would fill a small
   * OSD.
   */
  deletePrefix(bucket: string, prefix: string): Promise<void>;
  close(): void;
}

export interface S3AdminOptions {
  s3: S3Endpoint;
  /** The `ceph.conf` of the local cluster, for `radosgw-admin gc process`. */
  cephConf?: string;
}

export function createS3Admin(options: S3AdminOptions): S3Admin {
  const { s3, cephConf } = options;
  const client = new S3Client({
    endpoint: s3.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });

  async function* keys(bucket: string, prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: `${prefix}/`,
          ContinuationToken: token,
          MaxKeys: PAGE_KEYS,
        }),
      );
      for (const item of page.Contents ?? []) yield { key: item.Key ?? "", size: item.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  return {
    async ensureBucket(bucket) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
      }
    },
    async measurePrefix(bucket, prefix) {
      let files = 0;
      let bytes = 0;
      for await (const item of keys(bucket, prefix)) {
        files += 1;
        bytes += item.size;
      }
      return { files, bytes };
    },
    async deletePrefix(bucket, prefix) {
      let batch: string[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        batch = [];
      };
      // Listing first, then deleting, keeps pagination stable while objects disappear.
      const all: string[] = [];
      for await (const item of keys(bucket, prefix)) all.push(item.key);
      for (const key of all) {
        batch.push(key);
        if (batch.length === PAGE_KEYS) await flush();
      }
      await flush();
      if (cephConf && all.length > 0) {
        await runCommand({
          file: "radosgw-admin",
          args: ["-c", cephConf, "-n", "client.admin", "gc", "process", "--include-all"],
        });
      }
    },
    close() {
      client.destroy();
    },
  };
}
