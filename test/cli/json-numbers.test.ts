/**
 * `--json` prints a record's values as the plain JSON numbers Python wrote: CPython's `json.loads` of the
 * document gives back exactly what `json.loads` of the record file gives, types included (`1e-05` and
 * `1.0` stay floats, a 23-digit integer keeps its digits).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliCaptured } from "../support/run-cli.ts";

const CV = "2.21.33363.0+82129205";

// Writes a record as optimum-neuron does (sorted, indented, named by the hash of the compact form),
// then compares the `lookup --json` document read by json.loads with the record file read the same way.
const PYTHON = String.raw`
import hashlib, json, os, sys
store, cv, step = sys.argv[1:4]
cfg = {"rms_norm_eps": 1e-05, "scale": 1.0, "negative_zero": -0.0, "huge": 12345678901234567890123,
       "tiny": 5e-324, "large": 1e16, "ratio": 0.1, "sequence_length": 4096,
       "nested": {"values": [1.5, 2, 3.0, None, True, "caf\u00e9"]}}
compact = json.dumps(cfg, sort_keys=True, separators=(",", ":"))
folder = os.path.join(store, f"neuronxcc-{cv}", "org", "m", "default", "exports", "0.4.6")
path = os.path.join(folder, hashlib.sha256(compact.encode()).hexdigest()[:8] + ".json")
if step == "write":
    os.makedirs(folder, exist_ok=True)
    with open(path, "w") as f:
        f.write(json.dumps(cfg, sort_keys=True, indent=2))
    sys.exit(0)
def typed(value):
    if isinstance(value, dict): return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list): return [typed(v) for v in value]
    return [type(value).__name__, repr(value)]
with open(path) as f:
    expected = typed(json.load(f))
document = json.loads(sys.stdin.read())
print(json.dumps({"expected": expected, "printed": typed(document["records"][0]["config"])}))
`;

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-json-numbers-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const python = (step: string, input = ""): string => {
  const run = spawnSync("python3", ["-c", PYTHON, path.join(work, "store"), CV, step], {
    input,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout;
};

describe("--json numbers", () => {
  it("prints a record's floats and big integers as Python's json.loads reads the record file", async () => {
    python("write");
    const env = { PATH: process.env.PATH, HOME: work, HF_HOME: path.join(work, "hf") };
    const run = await runCliCaptured(["lookup", "org/m", "--bucket", path.join(work, "store"), "--json"], {
      env,
      cwd: work,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/"rms_norm_eps": 1e-05,/);
    expect(run.stdout).toMatch(/"scale": 1\.0,/);
    const { expected, printed } = JSON.parse(python("compare", run.stdout)) as Record<string, unknown>;
    expect(printed).toEqual(expected);
  });
});
