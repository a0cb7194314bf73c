/**
 * Names the S3 operation of a path-style request, so a proxy can count requests by kind.
 * Pure: no I/O.
 */

export type S3RequestKind =
  | "list"
  | "list-buckets"
  | "head-bucket"
  | "create-bucket"
  | "get"
  | "head"
  | "put"
  | "copy"
  | "put-part"
  | "multipart-start"
  | "multipart-complete"
  | "multipart-abort"
  | "delete"
  | "delete-many"
  | "other";

/** Classifies a request from its method, its path with query, and whether it names a copy source. */
export function classifyS3Request(method: string, url: string, hasCopySource: boolean): S3RequestKind {
  const parsed = new URL(url, "http://proxy.invalid");
  const segments = parsed.pathname.split("/").filter((s) => s.length > 0);
  const query = parsed.searchParams;
  const verb = method.toUpperCase();
  if (segments.length === 0) return verb === "GET" ? "list-buckets" : "other";
  if (segments.length === 1) {
    if (verb === "GET") return "list";
    if (verb === "HEAD") return "head-bucket";
    if (verb === "PUT") return "create-bucket";
    if (verb === "POST" && query.has("delete")) return "delete-many";
    return "other";
  }
  switch (verb) {
    case "GET":
      return "get";
    case "HEAD":
      return "head";
    case "PUT":
      if (query.has("partNumber")) return "put-part";
      return hasCopySource ? "copy" : "put";
    case "POST":
      if (query.has("uploads")) return "multipart-start";
      if (query.has("uploadId")) return "multipart-complete";
      return "other";
    case "DELETE":
      return query.has("uploadId") ? "multipart-abort" : "delete";
    default:
      return "other";
  }
}
