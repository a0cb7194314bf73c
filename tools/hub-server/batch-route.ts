import { decideBucketAccess } from "./create-auth.ts";
import { putBucketFile, removeBucketFile } from "./bucket-record.ts";
import type { BucketFile } from "./bucket-record.ts";
import { requireBucket } from "./hub-access.ts";
import { BatchFormatError, parseBatch, pathProblem } from "./parse-batch.ts";
import type { BatchOperation } from "./parse-batch.ts";
import { HttpError, readBody, sendJson } from "./router.ts";
import type { Route } from "./router.ts";
import type { ServerDeps } from "./server-deps.ts";
import { ZERO_HASH_HEX, isHashHex } from "./xet-hash.ts";

const MAX_BATCH_BODY_BYTES = 256 * 1024 * 1024;

/** Body of a batch answer, the shape of the real service. */
export interface BatchReport {
  success: boolean;
  processed: number;
  succeeded: number;
  failed: { path: string; error: string }[];
}

/**
 * Creates `POST /api/buckets/{ns}/{name}/batch`.
 *
 * Like the real service it is not transactional: each operation succeeds or fails on its own. Adds and
 * copies are applied before deletes whatever their order in the body (the real service requires that order
 * of clients; applying it here makes a rename `add(new) + delete(old)` safe in one request). A delete of a
 * missing path succeeds (the real answer is undocumented; idempotent deletes suit retries). The answer is
 * 200, also with failures (`success:false`), except 422 when every operation failed.
 */
export function createBatchRoute(deps: ServerDeps): Route {
  return {
    name: "batch",
    methods: ["POST"],
    pattern: /^\/api\/buckets\/([^/]+)\/([^/]+)\/batch$/,
    async handle(context) {
      const { bucket, identity } = requireBucket(deps, context, "write");
      const body = await readBody(context.req, MAX_BATCH_BODY_BYTES);
      let operations: BatchOperation[];
      try {
        operations = parseBatch(body.toString("utf8"));
      } catch (error) {
        if (error instanceof BatchFormatError)
          throw new HttpError(400, `Invalid batch: ${error.message}`, "BadRequest");
        throw error;
      }
      const ordered = [
        ...operations.filter((op) => op.type !== "deleteFile"),
        ...operations.filter((op) => op.type === "deleteFile"),
      ];
      const report: BatchReport = { success: true, processed: 0, succeeded: 0, failed: [] };
      let changed = false;
      const now = deps.now();

      const knownSize = (hash: string): number | null => {
        if (hash === ZERO_HASH_HEX) return 0;
        return deps.storage.getFile(hash)?.size ?? null;
      };

      const apply = (op: BatchOperation): string | null => {
        const problem = pathProblem(op.path);
        if (problem !== null) return problem;
        const injected = deps.faults.forBatchPath("batch", op.path);
        if (injected !== null) return injected;
        if (op.type === "deleteFile") {
          if (removeBucketFile(bucket, op.path, now)) changed = true;
          return null;
        }
        const hash = op.xetHash.toLowerCase();
        if (!isHashHex(hash)) return "xetHash must be 64 hex digits";
        if (op.type === "copyFile") {
          if (op.sourceRepoType !== "bucket")
            return `copying from a ${op.sourceRepoType} is not supported by this server`;
          const source = deps.storage.getBucket(op.sourceRepoId);
          if (!decideBucketAccess(identity, source, "read").ok)
            return `source bucket ${op.sourceRepoId} not found`;
        }
        const size = knownSize(hash);
        if (size === null)
          return `unknown xetHash ${hash}: upload the file's xorbs and shard to the CAS first`;
        if (op.size !== undefined && op.size !== size)
          return `size ${op.size} does not match the stored ${size} bytes`;
        const file: BucketFile = {
          path: op.path,
          xetHash: hash,
          size,
          mtime: op.mtime ?? now,
          uploadedAt: now,
        };
        if (op.contentType !== undefined) file.contentType = op.contentType;
        putBucketFile(bucket, file, now);
        changed = true;
        return null;
      };

      for (const op of ordered) {
        report.processed += 1;
        const error = apply(op);
        if (error === null) report.succeeded += 1;
        else report.failed.push({ path: op.path, error });
      }
      report.success = report.failed.length === 0;
      if (changed) await deps.storage.saveBucket(bucket);
      const status = report.processed > 0 && report.succeeded === 0 ? 422 : 200;
      sendJson(context.res, status, report);
    },
  };
}
