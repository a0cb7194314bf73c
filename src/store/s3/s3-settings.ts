/**
 * Everything an S3 store is configured by, resolved once from its options and the environment:
 * endpoint, region, credentials, timeouts, the socket limit, and which transport sends the
 * requests. Pure, table-tested (s3-settings.test.ts).
 */
import { UsageError } from "../../errors.ts";
import type { SigV4Credentials } from "./sigv4.ts";

/** The one place the S3 defaults are set; both transports read them from the settings. */
export const S3_DEFAULTS = {
  /** The SDK's and the AWS CLI's default, and what RGW, MinIO and R2 accept. */
  region: "us-east-1",
  /** Open sockets to the endpoint, across every request of the store. */
  maxSockets: 32,
  /** A request that moves no byte for this long fails (and is retried). */
  idleTimeoutMs: 30_000,
  /** Time allowed to open a connection. */
  connectTimeoutMs: 10_000,
} as const;

/** `auto` picks the fast transport wherever it can run; `sdk` and `fast` force one. */
export type S3TransportChoice = "auto" | "sdk" | "fast";

/** The variable that forces a transport (`sdk` or `fast`), for users and for the tests. */
export const TRANSPORT_VARIABLE = "NEFF_CACHE_S3_TRANSPORT";

export interface S3SettingsInput {
  bucket: string;
  endpoint?: string;
  transport?: S3TransportChoice;
  maxSockets?: number;
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** A ready SDK client was given: the SDK transport, with its endpoint and credentials. */
  hasClient?: boolean;
}

export interface S3Settings {
  bucket: string;
  /** A custom endpoint URL, or undefined for AWS itself. */
  endpoint: string | undefined;
  /** The endpoint is AWS's own (virtual-host URLs, checksums, region redirects). */
  onAws: boolean;
  region: string;
  /** Keys from the environment; without them the SDK's provider chain finds credentials. */
  staticCredentials: SigV4Credentials | undefined;
  /** AWS_PROFILE, for the SDK's provider chain. */
  profile: string | undefined;
  transport: "sdk" | "fast";
  maxSockets: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
}

/**
 * Resolves the settings. The fast transport signs with static keys and speaks path-style to a
 * custom endpoint; anything else (AWS itself, a profile, an instance role, SSO, a given client)
 * goes to the SDK, whose providers find, cache and refresh credentials. Decided here, once.
 */
export function resolveS3Settings(
  input: S3SettingsInput,
  env: Readonly<Record<string, string | undefined>>,
): S3Settings {
  // An empty variable means "not set", as it does for the AWS CLI.
  const endpoint = input.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new UsageError(`The S3 endpoint "${endpoint}" is not an http:// or https:// URL.`, {
      hint: "Set AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) to the server's URL, e.g. http://127.0.0.1:7480.",
    });
  }
  const onAws = endpoint === undefined || isAwsEndpoint(endpoint);
  const staticCredentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const choice = input.transport ?? transportFromEnv(env);
  const fastPossible = !input.hasClient && !onAws && staticCredentials !== undefined;
  if (choice === "fast" && !fastPossible) {
    throw new UsageError(
      `The fast S3 transport (${TRANSPORT_VARIABLE}=fast) needs a custom endpoint and static keys.`,
      {
        hint: `Set AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or unset ${TRANSPORT_VARIABLE}.`,
      },
    );
  }
  return {
    bucket: input.bucket,
    endpoint,
    onAws,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || S3_DEFAULTS.region,
    staticCredentials,
    profile: env.AWS_PROFILE || undefined,
    transport: choice === "sdk" || !fastPossible ? "sdk" : "fast",
    maxSockets: input.maxSockets ?? S3_DEFAULTS.maxSockets,
    idleTimeoutMs: input.idleTimeoutMs ?? S3_DEFAULTS.idleTimeoutMs,
    connectTimeoutMs: input.connectTimeoutMs ?? S3_DEFAULTS.connectTimeoutMs,
  };
}

// --- internal ---

function transportFromEnv(env: Readonly<Record<string, string | undefined>>): S3TransportChoice {
  const value = env[TRANSPORT_VARIABLE];
  if (value === undefined || value === "") return "auto";
  if (value === "auto" || value === "sdk" || value === "fast") return value;
  throw new UsageError(`${TRANSPORT_VARIABLE}="${value}" is not a transport.`, {
    hint: `Use ${TRANSPORT_VARIABLE}=sdk (the AWS SDK) or fast (custom endpoints with static keys), or unset it.`,
  });
}

function isAwsEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host.endsWith(".amazonaws.com") || host.endsWith(".amazonaws.com.cn");
  } catch {
    return false;
  }
}
