import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors.ts";
import { resolveS3Settings, S3_DEFAULTS } from "./s3-settings.ts";

const KEYS = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "SECRET" };
const RGW = "http://127.0.0.1:7480";

describe("resolveS3Settings", () => {
  const cases: Array<{
    what: string;
    env: Record<string, string>;
    input?: Parameters<typeof resolveS3Settings>[0] extends infer I ? Partial<I> : never;
    transport: "sdk" | "fast";
  }> = [
    {
      what: "a custom endpoint with static keys",
      env: { AWS_ENDPOINT_URL_S3: RGW, ...KEYS },
      transport: "fast",
    },
    { what: "AWS itself with static keys", env: { ...KEYS }, transport: "sdk" },
    {
      what: "an AWS endpoint URL with static keys",
      env: { AWS_ENDPOINT_URL_S3: "https://s3.eu-west-3.amazonaws.com", ...KEYS },
      transport: "sdk",
    },
    {
      what: "a custom endpoint with a profile",
      env: { AWS_ENDPOINT_URL_S3: RGW, AWS_PROFILE: "p" },
      transport: "sdk",
    },
    { what: "a custom endpoint with an instance role", env: { AWS_ENDPOINT_URL: RGW }, transport: "sdk" },
    {
      what: "a custom endpoint with static keys, SDK forced by the variable",
      env: { AWS_ENDPOINT_URL_S3: RGW, ...KEYS, NEFF_CACHE_S3_TRANSPORT: "sdk" },
      transport: "sdk",
    },
    {
      what: "a custom endpoint with static keys, SDK forced by the option over the variable",
      env: { AWS_ENDPOINT_URL_S3: RGW, ...KEYS, NEFF_CACHE_S3_TRANSPORT: "fast" },
      input: { transport: "sdk" },
      transport: "sdk",
    },
    {
      what: "a ready client",
      env: { AWS_ENDPOINT_URL_S3: RGW, ...KEYS },
      input: { hasClient: true },
      transport: "sdk",
    },
    {
      what: "an empty variable as unset",
      env: { AWS_ENDPOINT_URL_S3: RGW, ...KEYS, NEFF_CACHE_S3_TRANSPORT: "" },
      transport: "fast",
    },
  ];
  it.each(cases)("sends $what through the $transport transport", ({ env, input, transport }) => {
    expect(resolveS3Settings({ bucket: "b", ...input }, env).transport).toBe(transport);
  });

  it("reads the region, the endpoint and the keys, with the defaults set once", () => {
    const settings = resolveS3Settings(
      { bucket: "b" },
      {
        AWS_ENDPOINT_URL_S3: "",
        AWS_ENDPOINT_URL: RGW,
        AWS_DEFAULT_REGION: "eu-west-3",
        ...KEYS,
        AWS_SESSION_TOKEN: "T",
      },
    );
    expect(settings).toEqual({
      bucket: "b",
      endpoint: RGW,
      onAws: false,
      region: "eu-west-3",
      staticCredentials: { accessKeyId: "AKID", secretAccessKey: "SECRET", sessionToken: "T" },
      profile: undefined,
      transport: "fast",
      maxSockets: S3_DEFAULTS.maxSockets,
      idleTimeoutMs: S3_DEFAULTS.idleTimeoutMs,
      connectTimeoutMs: S3_DEFAULTS.connectTimeoutMs,
    });
    expect(
      resolveS3Settings(
        { bucket: "b", endpoint: "https://x.example" },
        { AWS_REGION: "r1", AWS_DEFAULT_REGION: "r2" },
      ),
    ).toMatchObject({
      endpoint: "https://x.example",
      region: "r1",
      onAws: false,
    });
    expect(resolveS3Settings({ bucket: "b" }, {})).toMatchObject({
      endpoint: undefined,
      onAws: true,
      region: "us-east-1",
    });
  });

  it("refuses what cannot work, naming the fix", () => {
    const refusals: Array<[Record<string, string>, RegExp]> = [
      [
        { AWS_ENDPOINT_URL_S3: RGW, ...KEYS, NEFF_CACHE_S3_TRANSPORT: "turbo" },
        /NEFF_CACHE_S3_TRANSPORT="turbo" is not a transport/,
      ],
      [
        { AWS_ENDPOINT_URL_S3: RGW, NEFF_CACHE_S3_TRANSPORT: "fast" },
        /needs a custom endpoint and static keys/,
      ],
      [{ ...KEYS, NEFF_CACHE_S3_TRANSPORT: "fast" }, /needs a custom endpoint and static keys/],
      [{ AWS_ENDPOINT_URL_S3: "127.0.0.1:7480" }, /is not an http:\/\/ or https:\/\/ URL/],
    ];
    for (const [env, message] of refusals) {
      let error: unknown;
      try {
        resolveS3Settings({ bucket: "b" }, env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(message);
      expect((error as UsageError).hint).toBeTruthy();
    }
  });
});
