#!/usr/bin/env bash
# Measures what embedding once per cluster saves: three nats-servers from
# deploy/cluster, three nodes with the built-in model, the first LIMIT
# documents of the SOTU 10k corpus loaded through n1; prints how long
# until every node has every vector, who called the model, and the CPU
# seconds the three nodes spent (from /proc). Give BIN to measure another
# build, e.g. one from before the shared work queue.
#
#   bench/cluster/embed.sh                  # LIMIT=1000
#   BIN=/tmp/policysearch-old bench/cluster/embed.sh
#   EXTRA="--embeddings off" bench/cluster/embed.sh   # the log's own cost
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
LIMIT=${LIMIT:-1000}
WORK=$(mktemp -d /tmp/policysearch-embed.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${BIN:-}" ]; then
  go build -o "$WORK/policysearch" ./cmd/policysearch
  BIN=$WORK/policysearch
fi
go build -o "$WORK/bench" ./bench/cluster
cp deploy/cluster/nats-*.conf "$WORK/"
cd "$WORK"
mkdir shared && ln -s "$REPO/../shared/corpora" shared/corpora
mkdir run && cd run # the bench reads ../shared, as from the repository root

for i in 1 2 3; do
  nats-server -c "../nats-$i.conf" >"../nats-$i.log" 2>&1 &
  PIDS+=($!)
done
N=nats://127.0.0.1:4221,nats://127.0.0.1:4222,nats://127.0.0.1:4223
NODES=()
for i in 1 2 3; do
  "$BIN" serve --addr "127.0.0.1:808$i" --data "$WORK/data-n$i" --nats "$N" --node "n$i" \
    --seeds=false --rate-limit 0 --write-rate-limit 0 --log-level warn ${EXTRA:-} >"$WORK/n$i.log" 2>&1 &
  PIDS+=($!)
  NODES+=($!)
done
U=http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083
for i in 1 2 3; do
  for _ in $(seq 600); do curl -fs "http://127.0.0.1:808$i/readyz" >/dev/null && break; sleep 0.1; done
done
cpu() { # CPU seconds of the node processes so far
  local t=0 p
  for p in "${NODES[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "scale=1; $t / $(getconf CLK_TCK)" | bc
}
before=$(cpu)
"$WORK/bench" load -nodes "$U" -corpus 10k -limit "$LIMIT" -batch 250
case "${EXTRA:-}" in
*"embeddings off"*) ;;
*) "$WORK/bench" embedded -nodes "$U" ;;
esac
after=$(cpu)
echo "cpu: the three nodes spent $(echo "$after - $before" | bc) s of CPU from the load to the last vector"
