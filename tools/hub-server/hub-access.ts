import { decideBucketAccess, resolveNamespace } from "./create-auth.ts";
import type { HubIdentity, TokenScope } from "./create-auth.ts";
import type { BucketRecord } from "./bucket-record.ts";
import { HttpError } from "./router.ts";
import type { RouteContext } from "./router.ts";
import type { ServerDeps } from "./server-deps.ts";

/** Namespace and name rule of Hub repositories. */
const NAME_PATTERN = /^[\w.-]{1,96}$/;

/** Answers of a failed access check, worded like the Hub's. */
export const accessError = (status: 401 | 403 | 404, id: string): HttpError => {
  if (status === 401) {
    return new HttpError(
      401,
      "Invalid or missing credentials: pass a valid token as 'Authorization: Bearer <token>'",
      "Unauthorized",
    );
  }
  if (status === 403) {
    return new HttpError(
      403,
      `This token may not write to ${id}: use a token with write access to its namespace`,
      "Forbidden",
    );
  }
  return new HttpError(404, `Bucket ${id} not found`, "RepoNotFound");
};

/** Identifies the caller and loads the bucket named by the first two path params, enforcing access. */
export function requireBucket(
  deps: ServerDeps,
  context: RouteContext,
  need: TokenScope,
): { bucket: BucketRecord; identity: HubIdentity } {
  const identity = deps.auth.identifyHub(context.req.headers.authorization);
  const rawNamespace = decodeURIComponent(context.params[0] as string);
  const name = decodeURIComponent(context.params[1] as string);
  const namespace = resolveNamespace(rawNamespace, identity) ?? rawNamespace;
  const id = `${namespace}/${name}`;
  const bucket = deps.storage.getBucket(id);
  const decision = decideBucketAccess(identity, bucket, need);
  if (!decision.ok) throw accessError(decision.status, id);
  return { bucket: bucket as BucketRecord, identity };
}

/** Validates a namespace or bucket name. */
export function checkName(value: string, what: string): void {
  if (!NAME_PATTERN.test(value)) {
    throw new HttpError(
      400,
      `Invalid ${what} "${value}": use 1-96 letters, digits, '-', '_' or '.'`,
      "InvalidName",
    );
  }
}
