#!/usr/bin/env bash
# Puts a pinned Node.js first on PATH, whatever the machine's own Node is, and prints the
# `export` lines to eval:
#
#   eval "$(bash scripts/ensure-node.sh)"         # PATH starts with the current LTS (the test Node)
#   eval "$(bash scripts/ensure-node.sh --all)"   # also NEFF_TEST_NODES="20=/…/node 22=/…/node …"
#
# The binaries come from the npm registry, which ships each Node release as a package
# (node-<platform>-<arch>), installed under .run/node/<version>/ and reused from there. `npm test`
# runs the whole suite on the LTS, and the smoke test of every supported major uses --all.
# When the registry cannot be reached, the machine's own Node is used with a warning, except in
# CI (CI=true), where this is a failure: CI must run on the pinned versions.
#
# Knobs: NEFF_NODE_DIR (default .run/node).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${NEFF_NODE_DIR:-$ROOT/.run/node}"
# The current LTS first: the suite runs on it. The others are smoke-tested. Node 20 is past its
# end of life and kept only while the runtime dependencies still run on it (README, "Node.js").
LTS=24.22.3
OTHERS=(20.20.2 22.23.5 26.12.1)

log() { echo "neff-cache: $*" >&2; }

platform="$(node -p 'process.platform + "-" + process.arch' 2>/dev/null || true)"
if [ -z "$platform" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=linux-x64 ;;
    Linux-aarch64) platform=linux-arm64 ;;
    Darwin-arm64) platform=darwin-arm64 ;;
    Darwin-x86_64) platform=darwin-x64 ;;
    *) platform="" ;;
  esac
fi

# Prints the path of the node binary of VERSION, installing it first when missing.
install_node() {
  local version="$1" pkg="node-$platform" target="$DIR/$1"
  local bin="$target/node_modules/$pkg/bin/node"
  if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$version" ]; then
    echo "$bin"
    return 0
  fi
  [ -n "$platform" ] || return 1
  log "installing Node.js $version ($pkg from the npm registry) into $target"
  rm -rf "$target"
  mkdir -p "$target"
  echo '{"private":true}' >"$target/package.json"
  if ! npm install --prefix "$target" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "$pkg@$version" >&2; then
    rm -rf "$target"
    return 1
  fi
  [ -x "$bin" ] && [ "$("$bin" --version)" = "v$version" ] || return 1
  echo "$bin"
}

fail_or_fall_back() {
  if [ "${CI:-}" = "true" ]; then
    log "CI needs Node.js $1 from the npm registry, but it could not be installed"
    exit 1
  fi
  log "could not install Node.js $1 from the npm registry; using the machine's $(node --version 2>/dev/null || echo 'missing node')"
}

if lts_bin="$(install_node "$LTS")"; then
  echo "export PATH=\"$(dirname "$lts_bin"):\$PATH\""
else
  fail_or_fall_back "$LTS"
fi

if [ "${1:-}" = "--all" ]; then
  nodes="${LTS%%.*}=${lts_bin:-}"
  [ -n "${lts_bin:-}" ] || nodes=""
  for version in "${OTHERS[@]}"; do
    if bin="$(install_node "$version")"; then
      nodes="$nodes${nodes:+ }${version%%.*}=$bin"
    else
      fail_or_fall_back "$version"
    fi
  done
  echo "export NEFF_TEST_NODES=\"$nodes\""
fi
