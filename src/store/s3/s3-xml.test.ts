import { describe, expect, it } from "vitest";
import { parseListObjectsV2, parseS3ErrorXml } from "./s3-xml.ts";

describe("parseListObjectsV2", () => {
  it("reads objects, common prefixes, truncation and the continuation token, decoding entities", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>p/a &amp; b+c/%20 &#xe9;.bin</Key><LastModified>2026-11-27T01:02:03.000Z</LastModified><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>p/&lt;x&gt;</Key><Size>0</Size></Contents>
<CommonPrefixes><Prefix>p/sub/</Prefix></CommonPrefixes><NextContinuationToken>tok&amp;en==</NextContinuationToken></ListBucketResult>`;
    const page = parseListObjectsV2(xml);
    expect(page.objects).toEqual([
      {
        key: "p/a & b+c/%20 é.bin",
        size: 1,
        etag: '"0cc175b9c0f1b6a831c399e269772661"',
        lastModified: new Date("2026-11-27T01:02:03.000Z"),
      },
      { key: "p/<x>", size: 0, etag: undefined, lastModified: undefined },
    ]);
    expect(page.prefixes).toEqual(["p/sub/"]);
    expect(page.isTruncated).toBe(true);
    expect(page.nextToken).toBe("tok&en==");
  });

  it("reads an empty listing", () => {
    const page = parseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>",
    );
    expect(page).toEqual({ objects: [], prefixes: [], isTruncated: false, nextToken: undefined });
  });

  it("reads an error body", () => {
    expect(
      parseS3ErrorXml(
        "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>",
      ),
    ).toEqual({
      code: "NoSuchBucket",
      message: "The specified bucket does not exist",
    });
  });
});
