#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need, starts the local S3 server
# (Ceph RGW), then runs the type check, the linter, the formatter check and every test.
# Extra arguments go to vitest, e.g. `npm test -- src/layout` (the Python package tests then
# do not run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# Everything below runs on the current Node.js LTS from the npm registry, whatever the machine's
# own Node is; the other supported majors are smoke-tested (test/cli/node-versions.test.ts).
eval "$(bash scripts/ensure-node.sh --all)"
echo "== Node.js $(node --version)" >&2

echo "== type check" >&2
npx tsc -p tsconfig.json --noEmit
echo "== lint" >&2
npx eslint .
echo "== format" >&2
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

# The S3 contract and cache-operation tests run against a real Ceph RGW on 127.0.0.1.
# start-ceph.sh reuses a running instance and prints the variables the tests read.
if [ "${NEFF_TEST_SKIP_S3:-}" != "1" ] || [ "${CI:-}" = "true" ]; then
  bash scripts/install-ceph.sh
  eval "$(bash scripts/start-ceph.sh)"
  if [ "${NEFF_TEST_S3_STARTED:-}" = "1" ]; then trap 'bash scripts/stop-ceph.sh' EXIT; fi
fi

# The interop tests run the reference Python clients (huggingface_hub + hf_xet, boto3) in a venv.
eval "$(bash scripts/ensure-python.sh)"

echo "== tests" >&2
mkdir -p .run
status=0
rm -f .run/vitest.json .run/pytest.xml
npx vitest run --reporter=default --reporter=json --outputFile.json=.run/vitest.json "$@" || status=$?

# The Python package (python/): installed from this checkout into the venv without an index (the
# way `pip install ./python` works offline), then its pytest suite, whose failures fail the run.
if [ -n "${NEFF_TEST_PYTHON:-}" ] && [ "$#" -eq 0 ]; then
  echo "== python package" >&2
  if "$NEFF_TEST_PYTHON" -m pip install --disable-pip-version-check --quiet --no-index \
    --no-build-isolation --no-deps --force-reinstall ./python >&2; then
    (cd python && "$NEFF_TEST_PYTHON" -m pytest -q -p no:cacheprovider --junitxml=../.run/pytest.xml tests) ||
      status=1
  else
    echo "neff-cache: pip install ./python failed" >&2
    status=1
  fi
elif [ "$#" -eq 0 ]; then
  echo "neff-cache: skipping the Python package tests: no Python venv (see above)" >&2
  # CI must run them.
  if [ "${CI:-}" = "true" ]; then status=1; fi
fi
node scripts/print-test-summary.mjs .run/vitest.json .run/pytest.xml || true
exit "$status"
