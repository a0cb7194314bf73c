#!/usr/bin/env bash
# Starts a single-node Ceph cluster (one monitor, one BlueStore OSD on a sparse file, one
# RADOS Gateway) on 127.0.0.1 for the S3 tests, and prints the variables the tests read as
# shell `export` lines on stdout (progress goes to stderr):
#
#   eval "$(bash scripts/start-ceph.sh)"
#
# NEFF_TEST_S3_STARTED=1 is printed only when this call started the server, so the caller
# knows to run scripts/stop-ceph.sh. A server already started by this script (from this
# checkout or another one on the same port) is reused.
#
# Knobs: RGW_PORT (default 7480), CEPH_MON_PORT (3300), CEPH_DIR (.run/ceph),
# OSD_BLOCK_BYTES (sparse BlueStore file, default 6 GiB).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
D="${CEPH_DIR:-$ROOT/.run/ceph}"
PORT="${RGW_PORT:-7480}"
MON_PORT="${CEPH_MON_PORT:-3300}"
# BlueStore never punches holes in a file-backed device, so the file grows towards this size
# as data is written: keep it modest. 6 GiB holds the largest test and benchmark objects.
BLOCK_BYTES="${OSD_BLOCK_BYTES:-6442450944}"
ACCESS_KEY="TESTKEY"
SECRET_KEY="TESTSECRET"
ENDPOINT="http://127.0.0.1:$PORT"
WAIT_SECONDS=90

log() { echo "neff-cache: $*" >&2; }

emit() {
  echo "export NEFF_TEST_S3_ENDPOINT=$ENDPOINT"
  echo "export NEFF_TEST_S3_ACCESS_KEY_ID=$ACCESS_KEY"
  echo "export NEFF_TEST_S3_SECRET_ACCESS_KEY=$SECRET_KEY"
  if [ "$1" = "started" ]; then echo "export NEFF_TEST_S3_STARTED=1"; fi
}

# Any HTTP answer at all on the port.
answering() {
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ENDPOINT/" 2>/dev/null || true)"
  [ -n "$code" ] && [ "$code" != "000" ]
}

# A signed ListBuckets with the test credentials succeeds: this is a server this script made.
authorized() {
  # RGW insists on x-amz-content-sha256, which curl's signer does not add by itself.
  curl -sf -o /dev/null --max-time 5 --aws-sigv4 "aws:amz:us-east-1:s3" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    --user "$ACCESS_KEY:$SECRET_KEY" "$ENDPOINT/" 2>/dev/null
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Something listens on the port, HTTP or not.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

any_daemon_alive() {
  local f
  for f in "$D"/run/*.pid; do pid_alive "$f" && return 0; done
  return 1
}

# Two concurrent callers (two test runs) must not both start a cluster on the same ports.
# The daemons are started with fd 9 closed, so they never inherit (and hold) this lock.
exec 9>"${TMPDIR:-/tmp}/neff-cache-ceph-$PORT.lock"
flock -w 300 9 || { log "timed out waiting for another start-ceph.sh on port $PORT"; exit 1; }

if authorized; then
  if pid_alive "$D/run/client.rgw.a.pid"; then
    log "reusing the Ceph RGW already running at $ENDPOINT (from $D)"
  else
    log "reusing the Ceph RGW already running at $ENDPOINT (started from another checkout)"
  fi
  emit reused
  exit 0
fi
if port_taken "$PORT"; then
  log "port $PORT is taken by a server that does not accept the test credentials;" \
    "stop it or choose another port with RGW_PORT=<port>"
  exit 1
fi
if any_daemon_alive; then
  log "a Ceph cluster from $D is still running but does not answer on $ENDPOINT" \
    "(see $D/ceph.conf for its port); stop it with scripts/stop-ceph.sh or use another CEPH_DIR"
  exit 1
fi
if port_taken "$MON_PORT"; then
  log "port $MON_PORT (Ceph monitor) is taken; stop what uses it or set CEPH_MON_PORT=<port>"
  exit 1
fi

for tool in ceph-mon ceph-osd radosgw ceph ceph-authtool monmaptool radosgw-admin; do
  command -v "$tool" >/dev/null 2>&1 || {
    log "$tool is missing; run scripts/install-ceph.sh first"
    exit 1
  }
done

# Leftovers of an earlier run (crashed: no daemon alive) are cleared before a fresh start.
rm -rf "$D"

fail() {
  log "starting Ceph failed: $*"
  for f in "$D"/log/*.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 25 "$f" >&2
  done
  CEPH_DIR="$D" bash "$ROOT/scripts/stop-ceph.sh" >&2 || true
  exit 1
}
trap 'fail "command failed at line $LINENO"' ERR

started_at=$(date +%s)
mkdir -p "$D"/{mon,osd,rgw,log,run}
FSID="$(cat /proc/sys/kernel/random/uuid)"
CONF="$D/ceph.conf"
cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $D/keyring
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
ms bind ipv4 = true
ms bind ipv6 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 2000
osd crush chooseleaf type = 0
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
run dir = $D/run
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
[client.admin]
# Parallel admin commands would otherwise fight over one admin socket path.
admin socket = $D/run/\$name.\$pid.asok
[mon]
mon data = $D/mon/\$name
[osd]
osd data = $D/osd/\$cluster-\$id
osd objectstore = bluestore
bluestore block create = true
bluestore block size = $BLOCK_BYTES
bluestore fsck on mount = false
osd memory target = 1073741824
osd max object size = 1073741824
[client.rgw.a]
# Without tcp_nodelay every small response waits ~40 ms on Nagle + delayed ACK.
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
rgw dns name = localhost
rgw enable usage log = false
rgw max chunk size = 4194304
# Overwritten and deleted objects free their space only when the gateway's garbage collector
# runs (by default after 2 hours): collect within seconds, or repeated large test writes fill
# the small OSD.
rgw gc obj min wait = 5
rgw gc processor period = 10
rgw gc processor max time = 10
CONF

ceph_cli() { timeout 60 ceph -c "$CONF" -n client.admin --connect-timeout 30 "$@"; }

log "starting Ceph monitor (127.0.0.1:$MON_PORT)"
K="$D/keyring"
{
  ceph-authtool --create-keyring "$K" --gen-key -n mon. --cap mon 'allow *'
  ceph-authtool "$K" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mgr 'allow *' --cap mds 'allow *'
  ceph-authtool "$K" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' \
    --cap mgr 'allow profile osd'
  ceph-authtool "$K" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' \
    --cap mgr 'allow rw'
  monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$D/monmap"
  ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$K" -c "$CONF"
  ceph-mon -i a -c "$CONF" 9>&-
} >"$D/log/setup.log" 2>&1

log "creating the BlueStore OSD ($((BLOCK_BYTES / 1073741824)) GiB sparse file)"
OSD_UUID="$(cat /proc/sys/kernel/random/uuid)"
OSD_ID="$(ceph_cli osd new "$OSD_UUID" 2>>"$D/log/setup.log")"
mkdir -p "$D/osd/ceph-$OSD_ID"
{
  ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID"
  ceph-osd -c "$CONF" -i "$OSD_ID" 9>&-
} >>"$D/log/setup.log" 2>&1

# Pools made up front (and in parallel) spare the first bucket and first upload ~2 s each.
log "creating the gateway pools"
POOLS=(.rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index
  default.rgw.buckets.data default.rgw.buckets.non-ec)
pids=()
for p in "${POOLS[@]}"; do
  ceph_cli osd pool create "$p" 8 8 >>"$D/log/setup.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "creating a pool failed"; done
pids=()
for p in "${POOLS[@]}"; do
  ceph_cli osd pool application enable "$p" rgw >>"$D/log/setup.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "tagging a pool failed"; done

log "starting the RADOS Gateway on $ENDPOINT"
radosgw -c "$CONF" -n client.rgw.a >>"$D/log/setup.log" 2>&1 9>&-
deadline=$(($(date +%s) + WAIT_SECONDS))
until answering; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the gateway did not answer on $ENDPOINT within ${WAIT_SECONDS}s"
  pid_alive "$D/run/client.rgw.a.pid" || [ ! -f "$D/run/client.rgw.a.pid" ] || fail "the gateway exited"
  sleep 0.1
done

timeout 60 radosgw-admin -c "$CONF" -n client.admin user create --uid=test --display-name=test \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >>"$D/log/setup.log" 2>&1
until authorized; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the gateway did not accept the test user within ${WAIT_SECONDS}s"
  sleep 0.2
done

trap - ERR
log "Ceph RGW ready at $ENDPOINT in $(($(date +%s) - started_at)) s (data in $D)"
emit started
