#!/usr/bin/env bash
# The main job on the embedded default (a directory store and the compiler simulator), on a
# fresh machine with no credentials. Installs and builds first when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node --import tsx tools/demo/run-demo.ts
