#!/usr/bin/env bash
# A one-node Ceph cluster that serves S3: monitor, manager, one OSD and a RADOS Gateway, all on
# this host's loopback except the gateway's HTTP port. The object store of docker-compose.yml
# (image quay.io/ceph/ceph), and the real S3 server of the tests (Debian's radosgw, ceph-mon,
# ceph-osd, ceph-mgr; infra/local/ceph/). docs/decisions.md says why Ceph; infra/docker/README.md
# how it runs in Compose.
#
#   entrypoint.sh          bootstraps the cluster on the first start (nothing to do on later ones),
#                          starts the daemons, makes sure the S3 user exists with the given keys,
#                          prints `ready <endpoint>` once the gateway answers, and runs until a
#                          daemon ends (exit 1) or SIGTERM/SIGINT stops them all (exit 0).
#   entrypoint.sh health   exit 0 once the S3 user is in place and while the gateway answers HTTP
#                          (the Compose healthcheck).
#
# Settings (environment):
#   CEPH_DATA            where everything lives: config, keys, monitor store, OSD, logs
#                        (default /var/lib/ceph/phr: one volume in Compose)
#   CEPH_OBJECTSTORE     bluestore (default: a file of CEPH_BLUESTORE_SIZE, sparse, in CEPH_DATA)
#                        or memstore (memory only, lost on stop: the tests)
#   CEPH_BLUESTORE_SIZE  default 20G (sparse: takes the disk space the objects take)
#   CEPH_MEMSTORE_BYTES  memstore's capacity, default 1073741824
#   CEPH_MEMORY_TARGET   the OSD's memory target in bytes, default 1073741824 (Ceph's is 4 GiB)
#   CEPH_MGR             on (default) or off; the gateway serves S3 without a manager
#   CEPH_MON_PORT        the monitor's msgr2 port on 127.0.0.1, default 3300 (msgr1: the next one)
#   CEPH_BIND_PORT_MIN, CEPH_BIND_PORT_MAX   ports of the other daemons on 127.0.0.1 (6800-7300)
#   RGW_ENDPOINT         where the gateway listens, default 0.0.0.0:7480
#   S3_USER              the S3 user's id, default phr
#   S3_ACCESS_KEY, S3_SECRET_KEY   its keys (required); changed keys are applied on the next start
set -euo pipefail

DATA=${CEPH_DATA:-/var/lib/ceph/phr}
OBJECTSTORE=${CEPH_OBJECTSTORE:-bluestore}
BLUESTORE_SIZE=${CEPH_BLUESTORE_SIZE:-20G}
MEMORY_TARGET=${CEPH_MEMORY_TARGET:-1073741824}
MEMSTORE_BYTES=${CEPH_MEMSTORE_BYTES:-1073741824}
MGR=${CEPH_MGR:-on}
MON_PORT=${CEPH_MON_PORT:-3300}
BIND_MIN=${CEPH_BIND_PORT_MIN:-6800}
BIND_MAX=${CEPH_BIND_PORT_MAX:-7300}
RGW_ENDPOINT=${RGW_ENDPOINT:-0.0.0.0:7480}
S3_USER=${S3_USER:-phr}
CONF="$DATA/ceph.conf"

say() { echo "ceph-entrypoint: $*"; }
fail() {
  echo "ceph-entrypoint: $*" >&2
  exit 1
}

# The gateway's port as seen from this host (0.0.0.0 and [::] are reached on loopback).
rgw_probe_host() {
  local host=${RGW_ENDPOINT%:*}
  case "$host" in 0.0.0.0 | '[::]' | '') echo 127.0.0.1 ;; *) echo "${host#[}" | tr -d ']' ;; esac
}

# One HTTP request to the gateway with bash's /dev/tcp (no curl in every image): true when it answers.
rgw_answers() {
  local port=${RGW_ENDPOINT##*:} status
  { exec 3<>"/dev/tcp/$(rgw_probe_host)/$port"; } 2>/dev/null || return 1
  printf 'HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  read -r -t 5 status <&3 || status=''
  exec 3>&-
  [[ $status == HTTP/1.?' '[0-9]* ]]
}

if [[ ${1:-} == health ]]; then
  [[ -e $DATA/run/phr-ready ]] && rgw_answers
  exit
fi

[[ -n ${S3_ACCESS_KEY:-} ]] || fail "S3_ACCESS_KEY is required but not set"
[[ -n ${S3_SECRET_KEY:-} ]] || fail "S3_SECRET_KEY is required but not set"
[[ $OBJECTSTORE == bluestore || $OBJECTSTORE == memstore ]] || fail "CEPH_OBJECTSTORE must be bluestore or memstore, not '$OBJECTSTORE'"
[[ $MGR == on || $MGR == off ]] || fail "CEPH_MGR must be on or off, not '$MGR'"

write_config() {
  local fsid=$1
  cat >"$CONF" <<EOF
# Written by entrypoint.sh on the cluster's first start. One node on loopback: every pool keeps
# one copy (the disk under CEPH_DATA is the only place the objects are; back it up).
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]
public network = 127.0.0.1/32
ms bind port min = $BIND_MIN
ms bind port max = $BIND_MAX
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DATA/keyring
run dir = $DATA/run
admin socket = $DATA/run/\$name.asok
pid file = $DATA/run/\$name.pid
log file = $DATA/log/\$name.log
log to stderr = false
err to stderr = false
mon cluster log file = $DATA/log/cluster.log
osd objectstore = $OBJECTSTORE
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false

[mon]
mon data = $DATA/mon/ceph-\$id
mon initial members = a
# One monitor has nobody to wait for: propose at once (Ceph's vstart.sh does the same).
paxos propose interval = 0.05
paxos min wait = 0.01

[mgr]
mgr data = $DATA/mgr/ceph-\$id

[osd]
osd data = $DATA/osd/ceph-\$id
keyring = $DATA/osd/ceph-\$id/keyring
osd memory target = $MEMORY_TARGET
bluestore block create = true
bluestore block size = $(numfmt --from=iec "$BLUESTORE_SIZE")
memstore device bytes = $MEMSTORE_BYTES

[client.rgw.a]
rgw frontends = beast endpoint=$RGW_ENDPOINT
rgw data = $DATA/rgw/ceph-\$id
EOF
}

bootstrap() {
  local fsid
  [[ -z $(ls -A "$DATA" 2>/dev/null) ]] || fail "$DATA holds an unfinished first start (no phr-bootstrapped in it): empty it and start again"
  say "first start: creating a one-node cluster in $DATA ($OBJECTSTORE)"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$DATA"/{run,log,mon/ceph-a,mgr/ceph-x,osd/ceph-0,rgw/ceph-rgw.a}
  write_config "$fsid"
  ceph-authtool --create-keyring "$DATA/keyring.tmp" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$DATA/keyring.tmp" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$DATA/keyring.tmp" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  ceph-authtool "$DATA/keyring.tmp" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
  mv "$DATA/keyring.tmp" "$DATA/keyring"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]" "$DATA/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DATA/monmap" --keyring "$DATA/keyring"
  rm "$DATA/monmap"
  # The OSD's identity; it is registered and its store made once the monitor runs (make_osd).
  ceph-authtool --create-keyring "$DATA/osd/ceph-0/keyring" --name osd.0 --add-key "$(ceph-authtool --gen-print-key)" >/dev/null
  cat /proc/sys/kernel/random/uuid >"$DATA/osd/ceph-0/phr-osd-uuid"
  touch "$DATA/phr-bootstrapped"
}

PIDS=()
# The gateway first, the monitor last: clients go before the services they use.
stop_daemons() {
  local i pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
on_signal() {
  trap - TERM INT
  say "stopping"
  exit 0
}
# However the script ends (a signal, a failed step, a daemon that died), no daemon outlives it.
trap stop_daemons EXIT
trap on_signal TERM INT

start() {
  "$@" &
  PIDS+=($!)
}

# Registers OSD 0 with the monitor and makes its store, once: ceph-osd --mkfs reads its
# settings from the running monitor. `ceph osd new` is idempotent for the same uuid and key.
make_osd() {
  local osd=$DATA/osd/ceph-0 uuid key
  [[ -e $osd/phr-osd-made ]] && return
  uuid=$(cat "$osd/phr-osd-uuid")
  key=$(ceph-authtool "$osd/keyring" -n osd.0 -p)
  printf '{"cephx_secret": "%s"}' "$key" >"$DATA/run/osd-secret.json"
  ceph -c "$CONF" --connect-timeout 120 osd new "$uuid" 0 -i "$DATA/run/osd-secret.json" >/dev/null
  rm "$DATA/run/osd-secret.json"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" --key "$key" >/dev/null 2>&1 || fail "ceph-osd --mkfs failed (log: $DATA/log/osd.0.log)"
  touch "$osd/phr-osd-made"
}

# The S3 user with exactly the configured keys: created on the first start, its key replaced when the keys changed.
ensure_s3_user() {
  if radosgw-admin -c "$CONF" -n client.admin user info --uid="$S3_USER" >"$DATA/run/user.json" 2>/dev/null; then
    if ! grep -q "\"access_key\": \"$S3_ACCESS_KEY\"" "$DATA/run/user.json" || ! grep -q "\"secret_key\": \"$S3_SECRET_KEY\"" "$DATA/run/user.json"; then
      # The old keys stop working: Compose's .env is the one source of the keys.
      while read -r old; do radosgw-admin -c "$CONF" -n client.admin key rm --uid="$S3_USER" --key-type=s3 --access-key="$old" >/dev/null; done < <(grep -o '"access_key": "[^"]*"' "$DATA/run/user.json" | cut -d'"' -f4)
      radosgw-admin -c "$CONF" -n client.admin key create --uid="$S3_USER" --key-type=s3 --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
      say "S3 user $S3_USER: keys replaced"
    fi
  else
    radosgw-admin -c "$CONF" -n client.admin user create --uid="$S3_USER" --display-name="Health records API" --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
    say "S3 user $S3_USER created"
  fi
  rm -f "$DATA/run/user.json"
}

[[ -e $DATA/phr-bootstrapped ]] || bootstrap
mkdir -p "$DATA/run"
rm -f "$DATA/run/phr-ready"

start ceph-mon -f -c "$CONF" -i a
make_osd
start ceph-osd -f -c "$CONF" -i 0
[[ $MGR == off ]] || start ceph-mgr -f -c "$CONF" -i x
start radosgw -f -c "$CONF" -n client.rgw.a

# Waits for the gateway (it waits for its pools, which wait for the OSD): a condition, polled.
until rgw_answers; do
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || fail "a daemon ended during start-up (logs: $DATA/log)"
  done
  sleep 0.1
done
ensure_s3_user
touch "$DATA/run/phr-ready"
echo "ready http://$(rgw_probe_host):${RGW_ENDPOINT##*:}"

# Runs until a daemon ends (Compose restarts the container) or a signal stops them all.
set +e
wait -n "${PIDS[@]}"
status=$?
trap - TERM INT
fail "a daemon ended (status $status; logs: $DATA/log); stopping the others"
