/** One operation line of the NDJSON batch endpoint. */
export type BatchOperation =
  | { type: "addFile"; path: string; xetHash: string; mtime?: number; contentType?: string; size?: number }
  | {
      type: "copyFile";
      path: string;
      xetHash: string;
      sourceRepoType: string;
      sourceRepoId: string;
      mtime?: number;
      contentType?: string;
      size?: number;
    }
  | { type: "deleteFile"; path: string };

/** Raised for a body that is not NDJSON of known operations; the whole request is rejected. */
export class BatchFormatError extends Error {
  override name = "BatchFormatError";
}

const optionalNumber = (value: unknown, field: string, line: number): number | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new BatchFormatError(`line ${line}: ${field} must be a number`);
  }
  return value;
};

const requiredString = (value: unknown, field: string, line: number): string => {
  if (typeof value !== "string") throw new BatchFormatError(`line ${line}: ${field} must be a string`);
  return value;
};

/** Parses a batch body. A trailing newline and blank lines are accepted (clients differ). */
export function parseBatch(body: string): BatchOperation[] {
  const operations: BatchOperation[] = [];
  body.split("\n").forEach((text, index) => {
    const line = index + 1;
    if (text.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new BatchFormatError(`line ${line} is not JSON`);
    }
    if (typeof value !== "object" || value === null)
      throw new BatchFormatError(`line ${line} is not an object`);
    const op = value as Record<string, unknown>;
    const path = requiredString(op.path, "path", line);
    switch (op.type) {
      case "addFile": {
        const add: BatchOperation = {
          type: "addFile",
          path,
          xetHash: requiredString(op.xetHash, "xetHash", line),
        };
        const mtime = optionalNumber(op.mtime, "mtime", line);
        const size = optionalNumber(op.size, "size", line);
        if (mtime !== undefined) add.mtime = mtime;
        if (size !== undefined) add.size = size;
        if (typeof op.contentType === "string") add.contentType = op.contentType;
        operations.push(add);
        return;
      }
      case "copyFile": {
        const copy: BatchOperation = {
          type: "copyFile",
          path,
          xetHash: requiredString(op.xetHash, "xetHash", line),
          sourceRepoType: requiredString(op.sourceRepoType, "sourceRepoType", line),
          sourceRepoId: requiredString(op.sourceRepoId, "sourceRepoId", line),
        };
        const mtime = optionalNumber(op.mtime, "mtime", line);
        const size = optionalNumber(op.size, "size", line);
        if (mtime !== undefined) copy.mtime = mtime;
        if (size !== undefined) copy.size = size;
        if (typeof op.contentType === "string") copy.contentType = op.contentType;
        operations.push(copy);
        return;
      }
      case "deleteFile":
        operations.push({ type: "deleteFile", path });
        return;
      default:
        throw new BatchFormatError(`line ${line}: unknown operation type ${JSON.stringify(op.type)}`);
    }
  });
  return operations;
}

/**
 * Why a bucket path is refused, or null when it is fine. The rules are the documented S3-gateway key rules
 * (no leading or trailing "/", no "//", no "../", no leading "./", no trailing "..", no "\" or NUL).
 */
export function pathProblem(path: string): string | null {
  if (path === "") return "path is empty";
  if (path.startsWith("/") || path.endsWith("/")) return "path must not start or end with '/'";
  if (path.includes("//")) return "path must not contain '//'";
  if (path.includes("../") || path.startsWith("./") || path.endsWith("..") || path === ".") {
    return "path must not contain relative segments";
  }
  if (path.includes("\\") || path.includes("\0")) return "path must not contain '\\' or NUL";
  return null;
}
