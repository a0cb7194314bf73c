/**
 * rclone as the reference: configured through environment variables only (no config file),
 * against the same S3 server and with the same number of parallel transfers as neff-cache.
 */
import type { Command } from "./measure.ts";
import type { S3Endpoint } from "./s3-endpoint.ts";

/** The remote name the commands use: `localS3:bucket/prefix`. */
export const RCLONE_REMOTE = "localS3";

/** rclone's environment for `endpointUrl` (which may be a counting proxy in front of the server). */
export function rcloneEnv(s3: S3Endpoint, endpointUrl: string = s3.url): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_LOCALS3_TYPE: "s3",
    RCLONE_CONFIG_LOCALS3_PROVIDER: "Ceph",
    RCLONE_CONFIG_LOCALS3_ENDPOINT: endpointUrl,
    RCLONE_CONFIG_LOCALS3_ACCESS_KEY_ID: s3.accessKeyId,
    RCLONE_CONFIG_LOCALS3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    RCLONE_CONFIG_LOCALS3_FORCE_PATH_STYLE: "true",
    RCLONE_CONFIG_LOCALS3_REGION: "us-east-1",
  };
  // rclone's AWS SDK refuses a custom CA bundle on its own HTTP transport.
  delete env.AWS_CA_BUNDLE;
  return env;
}

export interface RcloneCopyOptions {
  /** A local path or `localS3:bucket/prefix`. */
  from: string;
  to: string;
  /** `--transfers` and `--checkers`. */
  concurrency: number;
  env: NodeJS.ProcessEnv;
}

/** `rclone copy` with default checks (size, and MD5 against the ETag on download). */
export function rcloneCopy(options: RcloneCopyOptions): Command {
  return {
    file: "rclone",
    args: [
      "copy",
      "-q",
      "--s3-no-check-bucket",
      "--transfers",
      String(options.concurrency),
      "--checkers",
      String(options.concurrency),
      options.from,
      options.to,
    ],
    env: options.env,
  };
}

/** `rclone version`'s first line, e.g. "rclone v1.60.1-DEV". */
export function rcloneVersionCommand(): Command {
  return { file: "rclone", args: ["version"] };
}
