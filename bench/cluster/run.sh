#!/usr/bin/env bash
# Measures the README's cluster on one machine: three nats-servers from
# deploy/cluster, three policysearch nodes, the SOTU 10k corpus from
# ../shared. Prints write throughput through the log, replication lag,
# read QPS with 1, 2 and 3 nodes each capped at CPU_QUOTA of a core by a
# cgroup (uncapped, two cores cannot show scaling), and an empty fourth
# node's catch-up rate. Needs root (cgroups), nats-server, Go.
#
#   bench/cluster/run.sh            # CPU_QUOTA=30 SEARCH_SECONDS=20 CLIENTS=8
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
QUOTA=${CPU_QUOTA:-30}
SECS=${SEARCH_SECONDS:-20}
CLIENTS=${CLIENTS:-8}
WORK=$(mktemp -d /tmp/policysearch-cluster.XXXXXX)
PIDS=()
CGROUPS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for g in "${CGROUPS[@]}"; do rmdir "$g" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

go build -o "$WORK/policysearch" ./cmd/policysearch
go build -o "$WORK/bench" ./bench/cluster
cp deploy/cluster/nats-*.conf "$WORK/"
cd "$WORK"
mkdir shared && ln -s /work/shared/corpora shared/corpora 2>/dev/null || ln -s "$REPO/../shared/corpora" shared/corpora
mkdir run && cd run # the bench reads ../shared, as from the repository root

for i in 1 2 3; do
  nats-server -c "../nats-$i.conf" >"../nats-$i.log" 2>&1 &
  PIDS+=($!)
done
N=nats://127.0.0.1:4221,nats://127.0.0.1:4222,nats://127.0.0.1:4223

# cap PID: put the process in its own cgroup limited to QUOTA% of a core.
cap() {
  local pid=$1 g
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then # cgroup v2
    g=/sys/fs/cgroup/policysearch-$pid
    mkdir "$g" && echo "$((QUOTA * 1000)) 100000" >"$g/cpu.max"
  else # cgroup v1
    g=/sys/fs/cgroup/cpu/policysearch-$pid
    mkdir "$g" && echo 100000 >"$g/cpu.cfs_period_us" && echo $((QUOTA * 1000)) >"$g/cpu.cfs_quota_us"
  fi
  CGROUPS+=("$g")
  echo "$pid" >"$g/cgroup.procs"
}

node() { # node NAME PORT
  "$WORK/policysearch" serve --addr "127.0.0.1:$2" --data "$WORK/data-$1" --nats "$N" --node "$1" \
    --seeds=false --rate-limit 0 --write-rate-limit 0 --log-level warn >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  NODEPID=$!
}
ready() { for _ in $(seq 600); do curl -fs "$1/readyz" >/dev/null && return; sleep 0.1; done; echo "$1 not ready" >&2; exit 1; }

# Baseline: one node without a cluster loads the same corpus.
"$WORK/policysearch" serve --addr 127.0.0.1:8080 --data "$WORK/data-single" --seeds=false \
  --rate-limit 0 --write-rate-limit 0 --log-level warn >"$WORK/single.log" 2>&1 &
PIDS+=($!); SINGLE=$!
ready http://127.0.0.1:8080
echo "baseline, a single node without --nats:"
"$WORK/bench" load -nodes http://127.0.0.1:8080 -corpus 10k -batch 500
kill "$SINGLE"

node n1 8081; P1=$NODEPID
node n2 8082; P2=$NODEPID
node n3 8083; P3=$NODEPID
U1=http://127.0.0.1:8081 U2=http://127.0.0.1:8082 U3=http://127.0.0.1:8083
ready $U1; ready $U2; ready $U3

"$WORK/bench" load -nodes $U1,$U2,$U3 -corpus 10k -batch 500
"$WORK/bench" lag -nodes $U1,$U2 -n 300

cap $P1; cap $P2; cap $P3
echo "each node capped at ${QUOTA}% of a core"
"$WORK/bench" search -nodes $U1 -clients "$CLIENTS" -duration "${SECS}s"
"$WORK/bench" search -nodes $U1,$U2 -clients "$CLIENTS" -duration "${SECS}s"
"$WORK/bench" search -nodes $U1,$U2,$U3 -clients "$CLIENTS" -duration "${SECS}s"

node n4 8084
"$WORK/bench" catchup -nodes http://127.0.0.1:8084
