#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need, starts the local S3 server
# (Ceph RGW), then runs the type check, the linter, the formatter check and every test.
# Extra arguments go to vitest, e.g. `npm test -- src/layout`.
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
npx vitest run --reporter=default --reporter=json --outputFile.json=.run/vitest.json "$@" || status=$?
node scripts/print-test-summary.mjs .run/vitest.json || true
exit "$status"
