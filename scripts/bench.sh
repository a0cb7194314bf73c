#!/usr/bin/env bash
# The benchmark (`npm run bench`): installs what it compares against (rclone, awscli, GNU time),
# builds neff-cache, starts a local S3 server (Ceph RGW) for the benchmark unless one is running
# on its port, runs bench/run.ts and stops the server again if it started it. Arguments go to bench/run.ts,
# e.g. `npm run bench -- --only fetch --runs 5` or `npm run bench -- --quick`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

missing=()
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
[ -x /usr/bin/aws ] || missing+=(awscli)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || {
    echo "neff-cache bench: needs ${missing[*]}; install them with this system's package manager" >&2
    exit 1
  }
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  echo "neff-cache bench: installing ${missing[*]} (apt-get)" >&2
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

bash scripts/install-ceph.sh
# A gateway of its own (not the tests' one on 7480): the benchmark writes and deletes several
# GiB, must not slow a test run down, and frees deleted data at once through this cluster's
# config. BlueStore's sparse file only grows as far as it is used.
export RGW_PORT="${NEFF_BENCH_RGW_PORT:-7481}"
export CEPH_MON_PORT="${NEFF_BENCH_MON_PORT:-3301}"
export CEPH_DIR="${NEFF_BENCH_CEPH_DIR:-$PWD/.run/ceph-bench}"
eval "$(OSD_BLOCK_BYTES="${OSD_BLOCK_BYTES:-17179869184}" bash scripts/start-ceph.sh)"
if [ "${NEFF_TEST_S3_STARTED:-}" = "1" ]; then trap 'bash scripts/stop-ceph.sh' EXIT; fi
if [ -f "$CEPH_DIR/ceph.conf" ]; then export NEFF_BENCH_CEPH_CONF="$CEPH_DIR/ceph.conf"; fi

# The hf section compares against the reference Python client (`hf buckets sync`, hf_xet).
eval "$(bash scripts/ensure-python.sh)"

npx tsx bench/run.ts "$@"
