#!/usr/bin/env bash
# Installs the Ceph packages that run the local S3 server used by the tests (Debian/Ubuntu),
# only when they are missing. Needs root (as in CI) or passwordless sudo.
set -euo pipefail

# curl is what start-ceph.sh probes the gateway with.
PACKAGES=(radosgw ceph-mon ceph-osd ceph-common curl)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "neff-cache: the S3 tests need ${missing[*]}, and this system has no apt-get;" \
    "install them with its package manager." >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "neff-cache: installing ${missing[*]} needs root; run this script as root or install sudo." >&2
    exit 1
  fi
fi

echo "neff-cache: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
