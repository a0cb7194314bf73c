/**
 * The Python reference clients' interpreter, read from NEFF_TEST_PYTHON (printed by
 * scripts/ensure-python.sh, which `npm test` runs): a venv holding huggingface_hub 1.33.0,
 * hf_xet 1.6.0, boto3, pytest, hatchling and build. Without it the suites that need it are
 * skipped with the reason, except in CI (CI=true), where it is a failure: they must run there.
 */
import { dirname, join } from "node:path";
import { describe, it } from "vitest";

export interface PythonTestEnv {
  /** The venv's python. */
  python: string;
  /** The venv's bin folder (holds `hf`, `pytest`). */
  bin: string;
}

/** The venv's settings, or null when NEFF_TEST_PYTHON is not set. */
export function pythonTestEnv(env: NodeJS.ProcessEnv = process.env): PythonTestEnv | null {
  const python = env.NEFF_TEST_PYTHON;
  if (!python) return null;
  return { python, bin: dirname(python) };
}

/** The path of a console script installed in the venv (`hf`, `pytest`). */
export function venvScript(py: PythonTestEnv, name: string): string {
  return join(py.bin, name);
}

/**
 * `describe` for suites that need the reference Python clients: runs `body` when the venv is
 * configured, reports one skipped test naming the reason when not, and fails in CI when not.
 */
export function describeWithPython(name: string, body: (py: PythonTestEnv) => void): void {
  const py = pythonTestEnv();
  if (py !== null) {
    describe(name, () => body(py));
    return;
  }
  const reason = 'NEFF_TEST_PYTHON is not set (run `npm test`, or eval "$(bash scripts/ensure-python.sh)")';
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has the Python reference clients it needs", () => {
        throw new Error(`CI must run the Python interop tests, but ${reason}.`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${reason})`, () => {
      it("runs against the Python reference clients", () => {});
    });
  }
}
