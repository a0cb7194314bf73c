#!/usr/bin/env bash
# Stages the neff-cache CLI for the Python package (python/, whose build hook runs this):
# bin/neff-cache.js (with bin/package.json, which makes it CommonJS) and the bundle
# dist/neff-cache.cjs, a package.json, and the runtime
# dependencies the bundle imports (it leaves npm packages external), copied from node_modules:
#
#   bash scripts/stage-python-cli.sh python/src/neff_cache/_cli
#
# Installs the npm dependencies (npm ci) and builds first when needed (scripts/ensure-deps.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${1:?usage: stage-python-cli.sh TARGET_DIR}"
mkdir -p "$TARGET"
TARGET="$(cd "$TARGET" && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh

rm -rf "$TARGET"
mkdir -p "$TARGET/bin" "$TARGET/dist" "$TARGET/node_modules"
cp bin/neff-cache.js bin/package.json "$TARGET/bin/"
cp dist/neff-cache.cjs "$TARGET/dist/"
# name, version, type (ESM, as for the npm package) and engines (the Node versions neff_cache accepts).
node -e '
  const pkg = require("./package.json");
  const out = { name: pkg.name, version: pkg.version, type: pkg.type, engines: pkg.engines, private: true };
  require("fs").writeFileSync(process.argv[1], JSON.stringify(out, null, 2) + "\n");
' "$TARGET/package.json"
# Every production dependency, at the path npm installed it (nested copies keep their place).
packages="$(npm ls --omit=dev --all --parseable 2>/dev/null || true)"
while read -r dir; do
  rel="${dir#"$ROOT"/}"
  case "$rel" in node_modules/*) ;; *) continue ;; esac
  mkdir -p "$TARGET/$rel"
  # Only the package's own files: a nested node_modules is copied by its own line.
  (cd "$dir" && tar --exclude=./node_modules -cf - .) | (cd "$TARGET/$rel" && tar -xf -)
done <<<"$packages"
[ -d "$TARGET/node_modules/@aws-sdk/client-s3" ] || {
  echo "neff-cache: could not list the runtime dependencies (npm ls --omit=dev)" >&2
  exit 1
}
echo "neff-cache: staged the CLI in $TARGET" >&2
