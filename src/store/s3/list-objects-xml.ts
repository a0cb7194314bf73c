/**
 * Reads a ListObjectsV2 response body. Pure. The response is a flat, fixed-shape document, so a
 * few anchored patterns read it without an XML library on the start-up path.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */

export interface ListObjectsPage {
  Contents: Array<{ Key: string; Size: number; ETag: string | undefined; LastModified: Date | undefined }>;
  CommonPrefixes: Array<{ Prefix: string }>;
  IsTruncated: boolean;
  NextContinuationToken: string | undefined;
}

export function parseListObjectsV2(xml: string): ListObjectsPage {
  const contents = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map(([, body = ""]) => {
    const modified = tag(body, "LastModified");
    return {
      Key: tag(body, "Key") ?? "",
      Size: Number(tag(body, "Size") ?? "0"),
      ETag: tag(body, "ETag"),
      LastModified: modified === undefined ? undefined : new Date(modified),
    };
  });
  const prefixes = [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].map(
    ([, body = ""]) => ({
      Prefix: tag(body, "Prefix") ?? "",
    }),
  );
  return {
    Contents: contents,
    CommonPrefixes: prefixes,
    IsTruncated: tag(xml, "IsTruncated") === "true",
    NextContinuationToken: tag(xml, "NextContinuationToken"),
  };
}

/** The `Code` and `Message` of an S3 error body, when it is one. */
export function parseS3ErrorXml(xml: string): { code: string | undefined; message: string | undefined } {
  return { code: tag(xml, "Code"), message: tag(xml, "Message") };
}

// --- internal ---

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
