#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lock file, and builds
# dist/ when any source is newer than it. Safe to run every time.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "neff-cache: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ ! -f dist/neff-cache.cjs ] || [ -n "$(find src package.json tsconfig.json tsconfig.build.json -newer dist/neff-cache.cjs -print -quit)" ]; then
  echo "neff-cache: building dist/" >&2
  npm run --silent build >&2
fi
