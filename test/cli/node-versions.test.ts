/**
 * The built CLI on every supported Node.js major (NEFF_TEST_NODES, printed by
 * `scripts/ensure-node.sh --all`, which `npm test` runs): one compile's entries published to a
 * directory store and fetched back into an empty cache, and a bucket created on the S3 server
 * through the AWS SDK without its Node-version notice. Without the variable the suite is skipped
 * with the reason, except in CI, where it fails: CI must prove every version.
 */
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTestBucket, s3StoreEnv, s3TestEnv, testBucketName } from "../support/s3-test-env.ts";
import { runProcess } from "../support/run-process.ts";
import { simulatorCommand } from "../support/simulator-command.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/neff-cache.js");
const CV = "2.21.33363.0+82129205";
/** The majors the README promises; 20 only while its dependencies still run on it. */
const MAJORS = ["20", "22", "24", "26"];

const run = runProcess;

/** NEFF_TEST_NODES ("20=/path/node 22=/path/node …") as a map of major to binary. */
function testNodes(value: string | undefined): Map<string, string> {
  const nodes = new Map<string, string>();
  for (const item of (value ?? "").split(/\s+/).filter(Boolean)) {
    const at = item.indexOf("=");
    if (at > 0) nodes.set(item.slice(0, at), item.slice(at + 1));
  }
  return nodes;
}

const nodes = testNodes(process.env.NEFF_TEST_NODES);
const missing = MAJORS.filter((major) => !nodes.has(major));
const reason = `NEFF_TEST_NODES lacks Node ${missing.join(", ")} (run \`npm test\`, or eval "$(bash scripts/ensure-node.sh --all)")`;

if (missing.length > 0 && process.env.CI !== "true") {
  describe.skip(`the CLI on Node ${MAJORS.join(", ")} (skipped: ${reason})`, () => {
    it("runs on every supported major", () => {});
  });
} else {
  describe("the CLI on every supported Node.js major", () => {
    let work: string;
    let source: string;
    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), "neff-node-versions-"));
      source = path.join(work, "source-cache");
      const [file, ...args] = simulatorCommand();
      const compiled = await run(
        file as string,
        [...args, "--graph-text", "smoke", "--graphs", "2", "--cache-dir", source],
        { PATH: process.env.PATH, NEFF_CACHE_COMPILER_VERSION: CV },
      );
      expect(compiled.code, compiled.stderr).toBe(0);
    });
    afterAll(async () => {
      await rm(work, { recursive: true, force: true });
    });

    it.each(MAJORS)("Node %s publishes, fetches and lists", async (major) => {
      const node = nodes.get(major);
      if (node === undefined) throw new Error(`CI must smoke-test every supported Node, but ${reason}.`);
      const version = await run(node, ["--version"], {});
      expect(version.stdout).toMatch(new RegExp(`^v${major}\\.`));

      const store = path.join(work, `store-${major}`);
      const cache = path.join(work, `cache-${major}`);
      await mkdir(store);
      const env = { PATH: process.env.PATH, HOME: work, NEFF_CACHE_COMPILER_VERSION: CV };
      const cli = (...args: string[]) => run(node, [BIN, ...args], env);

      const synced = await cli("sync", "org/smoke", "--bucket", store, "--cache-dir", source, "--json");
      expect(synced.code, synced.stderr).toBe(0);
      expect(JSON.parse(synced.stdout).published).toHaveLength(2);

      const fetched = await cli("fetch", "org/smoke", "--bucket", store, "--cache-dir", cache, "--json");
      expect(fetched.code, fetched.stderr).toBe(0);
      expect(JSON.parse(fetched.stdout).fetched).toHaveLength(2);
      const versionDir = `neuronxcc-${CV}`;
      const entries = async (dir: string): Promise<string[]> =>
        (await readdir(path.join(dir, versionDir))).filter((name) => name.startsWith("MODULE_")).sort();
      expect(await entries(cache)).toEqual(await entries(source));

      const status = await cli("status", "--cache-dir", cache, "--json");
      expect(JSON.parse(status.stdout).counts.success).toBe(2);
    });

    it.each(MAJORS)("Node %s creates an S3 bucket through the AWS SDK without its notice", async (major) => {
      const node = nodes.get(major);
      const s3 = s3TestEnv();
      if (node === undefined || s3 === null) {
        if (process.env.CI === "true") throw new Error(`CI needs Node ${major} and the S3 test server.`);
        return;
      }
      const bucket = testBucketName();
      const env = { PATH: process.env.PATH, HOME: work, ...s3StoreEnv(s3) };
      try {
        const created = await run(node, [BIN, "create", `s3://${bucket}`], env);
        expect(created.code, created.stderr).toBe(0);
        expect(created.stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
        const listed = await run(node, [BIN, "ls", "--bucket", `s3://${bucket}`, "--json"], env);
        expect(listed.code, listed.stderr).toBe(0);
      } finally {
        await removeTestBucket(s3, bucket);
      }
    });
  });
}
