/**
 * The local S3 server the benchmark talks to, from the variables `scripts/start-ceph.sh` prints.
 */

export interface S3Endpoint {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Reads the endpoint from the environment; throws with the fix when it is missing. */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv): S3Endpoint {
  const url = env.NEFF_TEST_S3_ENDPOINT;
  const accessKeyId = env.NEFF_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.NEFF_TEST_S3_SECRET_ACCESS_KEY;
  if (!url || !accessKeyId || !secretAccessKey) {
    throw new Error(
      "NEFF_TEST_S3_ENDPOINT, NEFF_TEST_S3_ACCESS_KEY_ID and NEFF_TEST_S3_SECRET_ACCESS_KEY are not set; " +
        "run the benchmark with `npm run bench`, which starts the local S3 server and sets them",
    );
  }
  return { url, accessKeyId, secretAccessKey };
}
