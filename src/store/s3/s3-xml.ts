/**
 * The S3 XML the fast transport reads and writes. Pure. The documents are flat and of fixed
 * shape, so a few anchored patterns read them without an XML library on the start-up path.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
import type { CompletedPart, DeleteFailure, ListPage, ListUploadsPage } from "./s3-transport.ts";

export function parseListObjectsV2(xml: string): ListPage {
  const objects = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map(([, body = ""]) => {
    const modified = tag(body, "LastModified");
    return {
      key: tag(body, "Key") ?? "",
      size: Number(tag(body, "Size") ?? "0"),
      etag: tag(body, "ETag"),
      lastModified: modified === undefined ? undefined : new Date(modified),
    };
  });
  const prefixes = [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].map(
    ([, body = ""]) => tag(body, "Prefix") ?? "",
  );
  return {
    objects,
    prefixes,
    isTruncated: tag(xml, "IsTruncated") === "true",
    nextToken: tag(xml, "NextContinuationToken"),
  };
}

/** A ListMultipartUploadsResult. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html */
export function parseListMultipartUploads(xml: string): ListUploadsPage {
  const uploads = [...xml.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)].map(([, body = ""]) => {
    const initiated = tag(body, "Initiated");
    return {
      key: tag(body, "Key") ?? "",
      uploadId: tag(body, "UploadId") ?? "",
      initiated: initiated === undefined ? undefined : new Date(initiated),
    };
  });
  return {
    uploads,
    isTruncated: tag(xml, "IsTruncated") === "true",
    nextKeyMarker: tag(xml, "NextKeyMarker") || undefined,
    nextUploadIdMarker: tag(xml, "NextUploadIdMarker") || undefined,
  };
}

/** The UploadId of an InitiateMultipartUploadResult. */
export function parseUploadId(xml: string): string | undefined {
  return tag(xml, "UploadId");
}

/** The ETag of a CopyObjectResult. */
export function parseCopyEtag(xml: string): string | undefined {
  return tag(xml, "ETag");
}

/** The failed keys of a DeleteResult. */
export function parseDeleteErrors(xml: string): DeleteFailure[] {
  return [...xml.matchAll(/<Error>([\s\S]*?)<\/Error>/g)].map(([, body = ""]) => ({
    key: tag(body, "Key") ?? "",
    code: tag(body, "Code") ?? "",
  }));
}

/** The body of a quiet DeleteObjects request. */
export function deleteObjectsXml(keys: readonly string[]): string {
  const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${objects}</Delete>`;
}

/** The body of a CompleteMultipartUpload request. */
export function completeMultipartXml(parts: readonly CompletedPart[]): string {
  const items = parts
    .map(
      (part) =>
        `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(part.etag)}</ETag></Part>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}</CompleteMultipartUpload>`;
}

/** The body of a CreateBucket request naming a region. */
export function createBucketXml(locationConstraint: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${escapeXml(locationConstraint)}</LocationConstraint></CreateBucketConfiguration>`;
}

/** The `Code` and `Message` of an S3 error body, when it is one. */
export function parseS3ErrorXml(xml: string): { code: string | undefined; message: string | undefined } {
  return { code: tag(xml, "Code"), message: tag(xml, "Message") };
}

// --- internal ---

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function tag(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    switch (entity) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(
          entity.startsWith("#x")
            ? Number.parseInt(entity.slice(2), 16)
            : Number.parseInt(entity.slice(1), 10),
        );
    }
  });
}
