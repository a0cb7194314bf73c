#!/usr/bin/env bash
# Stops the Ceph cluster started by scripts/start-ceph.sh (gateway, OSD, monitor, by their pid
# files) and removes its run directory. Safe to run when nothing is running.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
D="${CEPH_DIR:-$ROOT/.run/ceph}"

stop_pid_file() {
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  # The gateway's graceful shutdown can take 10 s or more; its data is deleted next anyway.
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

[ -d "$D" ] || exit 0
stop_pid_file "$D/run/client.rgw.a.pid"
for f in "$D"/run/osd.*.pid; do stop_pid_file "$f"; done
stop_pid_file "$D/run/mon.a.pid"
rm -rf "$D"
