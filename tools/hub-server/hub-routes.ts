import { decideBucketAccess, decideCreateAccess, resolveNamespace } from "./create-auth.ts";
import type { BucketRecord } from "./bucket-record.ts";
import { createBatchRoute } from "./batch-route.ts";
import { accessError, checkName, requireBucket } from "./hub-access.ts";
import {
  DEFAULT_TREE_LIMIT,
  MAX_TREE_LIMIT,
  decodeCursor,
  encodeCursor,
  listTree,
  toFileEntry,
} from "./list-tree.ts";
import type { TreeFileEntry } from "./list-tree.ts";
import { planReconstruction } from "./plan-reconstruction.ts";
import { HttpError, decodePathTail, parseRange, readBody, sendError, sendJson } from "./router.ts";
import type { Route, RouteContext } from "./router.ts";
import type { ServerDeps } from "./server-deps.ts";
import { writeFileRange } from "./write-file-range.ts";

const BUCKET = "^/api/buckets/([^/]+)/([^/]+)";
/** The real service accepts up to about 2000 paths per paths-info call; clients send 1000. */
const MAX_PATHS_INFO = 2000;
const XET_FILEINFO_TYPE = "application/vnd.xet-fileinfo+json";

const bucketInfo = (bucket: BucketRecord): Record<string, unknown> => ({
  id: bucket.id,
  name: bucket.name,
  private: bucket.private,
  createdAt: new Date(bucket.createdAt).toISOString(),
  updatedAt: new Date(bucket.updatedAt).toISOString(),
  size: bucket.size,
  totalFiles: bucket.files.size,
});

const readJson = async (context: RouteContext, maxBytes: number): Promise<unknown> => {
  const body = await readBody(context.req, maxBytes);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "Body is not valid JSON", "BadRequest");
  }
};

/** Creates the Hub API endpoints for buckets and the resolve endpoint. */
export function createHubRoutes(deps: ServerDeps): Route[] {
  const { storage, auth } = deps;

  const create: Route = {
    name: "bucket-create",
    methods: ["POST"],
    pattern: new RegExp(`${BUCKET}$`),
    async handle(context) {
      const identity = auth.identifyHub(context.req.headers.authorization);
      const rawNamespace = decodeURIComponent(context.params[0] as string);
      const namespace = resolveNamespace(rawNamespace, identity);
      const name = decodeURIComponent(context.params[1] as string);
      if (namespace === null) {
        throw new HttpError(
          identity.kind === "token" ? 400 : 401,
          "'me' needs a token that names its user",
          "BadRequest",
        );
      }
      checkName(namespace, "namespace");
      checkName(name, "bucket name");
      const decision = decideCreateAccess(identity, namespace);
      if (!decision.ok) throw accessError(decision.status, `${namespace}/${name}`);
      const body = (await readJson(context, 1024 * 1024)) as { private?: unknown; visibility?: unknown };
      let isPrivate = deps.privateByDefault;
      if (typeof body.private === "boolean") isPrivate = body.private;
      if (body.visibility === "public") isPrivate = false;
      if (body.visibility === "private" || body.visibility === "protected") isPrivate = true;
      const bucket = await storage.createBucket(namespace, name, isPrivate);
      const url = `${context.baseUrl}/buckets/${namespace}/${name}`;
      if (bucket === null) {
        // The real Hub's 409 carries the bucket's url beside the error: huggingface_hub's
        // create_bucket(exist_ok=True) and `hf buckets create --exist-ok` return it.
        const message = `You already created this bucket: ${namespace}/${name}`;
        sendJson(
          context.res,
          409,
          { error: message, url },
          {
            "X-Error-Code": "RepoAlreadyExists",
            "X-Error-Message": message,
          },
        );
        return;
      }
      sendJson(context.res, 200, { url, name: bucket.id, id: bucket.id });
    },
  };

  const info: Route = {
    name: "bucket-info",
    methods: ["GET"],
    pattern: new RegExp(`${BUCKET}$`),
    async handle(context) {
      const { bucket } = requireBucket(deps, context, "read");
      sendJson(context.res, 200, bucketInfo(bucket));
    },
  };

  const remove: Route = {
    name: "bucket-delete",
    methods: ["DELETE"],
    pattern: new RegExp(`${BUCKET}$`),
    async handle(context) {
      const { bucket } = requireBucket(deps, context, "write");
      await storage.deleteBucket(bucket.id);
      sendJson(context.res, 200, {});
    },
  };

  const list: Route = {
    name: "bucket-list",
    methods: ["GET"],
    pattern: /^\/api\/buckets\/([^/]+)$/,
    async handle(context) {
      const identity = auth.identifyHub(context.req.headers.authorization);
      if (identity.kind === "invalid") throw accessError(401, "");
      const namespace = resolveNamespace(decodeURIComponent(context.params[0] as string), identity);
      if (namespace === null) throw accessError(401, "");
      const search = context.url.searchParams.get("search") ?? "";
      // Unpaginated: a test server holds few buckets.
      const visible = storage
        .listBuckets(namespace)
        .filter((b) => b.name.includes(search) && decideBucketAccess(identity, b, "read").ok);
      sendJson(context.res, 200, visible.map(bucketInfo));
    },
  };

  const tree: Route = {
    name: "tree",
    methods: ["GET"],
    pattern: new RegExp(`${BUCKET}/tree(?:/(.*))?$`),
    async handle(context) {
      const { bucket } = requireBucket(deps, context, "read");
      const prefix = decodePathTail(context.params[2] ?? "");
      const query = context.url.searchParams;
      // Omitted `recursive` lists recursively: that is what the real service was observed to do.
      const recursive = query.get("recursive") !== "false";
      const limitText = query.get("limit");
      const limit =
        limitText === null ? DEFAULT_TREE_LIMIT : Math.min(MAX_TREE_LIMIT, Math.trunc(Number(limitText)));
      if (!Number.isFinite(limit) || limit < 1)
        throw new HttpError(400, "limit must be a positive integer", "BadRequest");
      const cursor = query.get("cursor");
      const after = cursor === null ? null : decodeCursor(cursor);
      if (cursor !== null && after === null) throw new HttpError(400, "Invalid cursor", "BadRequest");
      const page = listTree(bucket, { prefix, recursive, limit, after });
      const headers: Record<string, string> = {};
      if (page.next !== null) {
        const next = new URL(context.url.pathname, context.baseUrl);
        for (const [key, value] of query)
          if (key !== "cursor" && key !== "limit") next.searchParams.append(key, value);
        next.searchParams.set("limit", String(limit));
        next.searchParams.set("cursor", encodeCursor(page.next));
        headers.Link = `<${next.href}>; rel="next"`;
      }
      sendJson(context.res, 200, page.entries, headers);
    },
  };

  const pathsInfo: Route = {
    name: "paths-info",
    methods: ["POST"],
    pattern: new RegExp(`${BUCKET}/paths-info$`),
    async handle(context) {
      const { bucket } = requireBucket(deps, context, "read");
      const body = (await readJson(context, 64 * 1024 * 1024)) as { paths?: unknown };
      if (!Array.isArray(body.paths) || !body.paths.every((p) => typeof p === "string")) {
        throw new HttpError(400, 'Body must be {"paths": [string, …]}', "BadRequest");
      }
      if (body.paths.length > MAX_PATHS_INFO) {
        throw new HttpError(400, `At most ${MAX_PATHS_INFO} paths per call: split the request`, "BadRequest");
      }
      const entries: TreeFileEntry[] = [];
      for (const path of body.paths as string[]) {
        const file = bucket.files.get(path);
        if (file !== undefined) entries.push(toFileEntry(file));
      }
      sendJson(context.res, 200, entries);
    },
  };

  const token = (scope: "read" | "write"): Route => ({
    name: `xet-${scope}-token`,
    methods: ["GET"],
    pattern: new RegExp(`${BUCKET}/xet-${scope}-token$`),
    async handle(context) {
      const { bucket } = requireBucket(deps, context, scope);
      const issued = auth.issueCasToken(bucket.id, scope);
      sendJson(context.res, 200, {
        accessToken: issued.accessToken,
        exp: issued.exp,
        casUrl: context.baseUrl,
      });
    },
  });

  const resolve: Route = {
    name: "resolve",
    methods: ["GET", "HEAD"],
    pattern: /^\/buckets\/([^/]+)\/([^/]+)\/resolve\/(.+)$/,
    async handle(context) {
      const { bucket } = requireBucket(deps, context, "read");
      const path = decodePathTail(context.params[2] as string);
      const entry = bucket.files.get(path);
      if (entry === undefined) {
        sendError(context.res, 404, `Entry ${path} not found in bucket ${bucket.id}`, "EntryNotFound");
        return;
      }
      const etag = `"${entry.xetHash}"`;
      const headers: Record<string, string | number> = {
        "X-Xet-Hash": entry.xetHash,
        "X-Linked-Size": entry.size,
        "X-Linked-ETag": etag,
        ETag: etag,
        "Accept-Ranges": "bytes",
        "Last-Modified": new Date(entry.mtime).toUTCString(),
        Link:
          `<${context.baseUrl}/api/buckets/${bucket.id}/xet-read-token>; rel="xet-auth", ` +
          `<${context.baseUrl}/v1/reconstructions/${entry.xetHash}>; rel="xet-reconstruction-info"`,
      };
      const accept = context.req.headers.accept ?? "";
      if (context.req.method === "GET" && accept.includes(XET_FILEINFO_TYPE)) {
        sendJson(
          context.res,
          200,
          {
            hash: entry.xetHash,
            refreshUrl: `${context.baseUrl}/api/buckets/${bucket.id}/xet-read-token`,
            reconstructionUrl: `${context.baseUrl}/v1/reconstructions/${entry.xetHash}`,
            etag,
            size: entry.size,
          },
          { ...headers, "Content-Type": XET_FILEINFO_TYPE } as Record<string, string>,
        );
        return;
      }
      // The real service redirects to a CDN; serving the bytes here keeps the server self-contained.
      const range = parseRange(context.req.headers.range, entry.size);
      if (range === "unsatisfiable") {
        sendError(context.res, 416, "Range not satisfiable", "RangeNotSatisfiable", {
          "Content-Range": `bytes */${entry.size}`,
        });
        return;
      }
      if (range !== null && range.length > 1) {
        sendError(context.res, 416, "Multiple ranges are not supported", "RangeNotSatisfiable");
        return;
      }
      const [start, end] = range?.[0] ?? [0, entry.size];
      if (range !== null) headers["Content-Range"] = `bytes ${start}-${end - 1}/${entry.size}`;
      context.res.writeHead(range === null ? 200 : 206, {
        ...headers,
        "Content-Type": entry.contentType ?? "application/octet-stream",
        "Content-Length": end - start,
      });
      if (context.req.method === "HEAD" || end === start) {
        context.res.end();
        return;
      }
      const file = storage.getFile(entry.xetHash);
      if (file === undefined) throw new Error(`file ${entry.xetHash} of ${path} is not in the CAS`);
      await writeFileRange(
        storage,
        planReconstruction(file, storage.getXorb, start, end),
        end - start,
        context.res,
      );
      context.res.end();
    },
  };

  // huggingface_hub fetches this registry (at most daily) to name the AI agent that runs it in its
  // User-Agent. The real Hub lists the known harnesses; this one lists none, so the client only reports
  // what the standard variables name, which no test depends on.
  const agentHarnesses: Route = {
    name: "agent-harnesses",
    methods: ["GET"],
    pattern: /^\/api\/agent-harnesses$/,
    async handle(context) {
      sendJson(context.res, 200, { standardEnvVars: ["AI_AGENT", "AGENT"], harnesses: {} });
    },
  };

  return [
    agentHarnesses,
    create,
    info,
    remove,
    list,
    tree,
    pathsInfo,
    token("write"),
    token("read"),
    createBatchRoute(deps),
    resolve,
  ];
}
