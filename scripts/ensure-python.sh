#!/usr/bin/env bash
# Makes the Python virtual environment the interop tests run the reference clients in
# (huggingface_hub + hf_xet, boto3, pytest, prometheus_client's exposition parser) and the
# Python package's tests use (hatchling, build), and prints the variable the tests read as an `export` line on stdout:
#
#   eval "$(bash scripts/ensure-python.sh)"      # exports NEFF_TEST_PYTHON=<venv>/bin/python
#
# The environment is reused while its requirement list is unchanged. When no package index
# answers, nothing is printed and the tests that need it are skipped with the reason, except
# in CI (CI=true), where this is a failure: those tests must run there.
#
# Knobs: NEFF_PYTHON (the interpreter to build the venv from, default python3),
# NEFF_PY_VENV (default .run/py-venv).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${NEFF_PY_VENV:-$ROOT/.run/py-venv}"
PYTHON="${NEFF_PYTHON:-python3}"
# The reference clients are pinned: these are the versions the interop tests prove against.
REQUIREMENTS=(
  "huggingface_hub==1.33.0"
  "hf_xet==1.6.0"
  "boto3"
  "pytest"
  "hatchling"
  "build"
  "prometheus_client"
)

log() { echo "neff-cache: $*" >&2; }
give_up() {
  if [ "${CI:-}" = "true" ]; then
    log "CI needs the Python reference clients, but $*"
    exit 1
  fi
  log "skipping the Python interop tests: $*"
  exit 0
}

command -v "$PYTHON" >/dev/null 2>&1 || give_up "$PYTHON is not installed"
stamp="$VENV/.neff-requirements"
wanted="$(printf '%s\n' "${REQUIREMENTS[@]}")"
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "export NEFF_TEST_PYTHON=$VENV/bin/python"
  exit 0
fi

rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV" >&2 || give_up "\`$PYTHON -m venv\` failed"
log "installing ${REQUIREMENTS[*]} into $VENV"
# --retries 0 --timeout 3: an unreachable index fails at once instead of after minutes. pip's
# output is shown only on failure, less its warnings about configured index folders that do not
# exist on this system.
pip_log="$(mktemp)"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --retries 0 --timeout 3 \
  "${REQUIREMENTS[@]}" >"$pip_log" 2>&1; then
  grep -v 'is ignored: it is neither a file nor a directory' "$pip_log" | tail -n 20 >&2 || true
  rm -f "$pip_log"
  rm -rf "$VENV"
  give_up "pip could not install ${REQUIREMENTS[*]} (no reachable package index?)"
fi
rm -f "$pip_log"
printf '%s\n' "$wanted" >"$stamp"
echo "export NEFF_TEST_PYTHON=$VENV/bin/python"
