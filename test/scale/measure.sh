#!/usr/bin/env bash
# Latency and CPU of the WebSocket scenario against: one instance (memory bus), one instance
# on the Redis bus (direct: the Redis hop), and 1 and 2 instances behind nginx (npm run
# cluster). Writes one k6-format summary per setup and cpu.tsv (CPU seconds of every server
# process, load generator excluded) into $OUT. Not a test: the machine's noise decides.
# Usage: VUS=2000 OUT=/tmp/scale-measure bash test/scale/measure.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
VUS=${VUS:-2000}
OUT=${OUT:-/tmp/scale-measure}
PORT=${PORT:-18200}
NODE=${NODE:-$PWD/node_modules/.bin/node}
mkdir -p "$OUT"
printf 'setup\tvus\twall_s\tserver_cpu_s\n' > "$OUT/cpu.tsv"

descendants() { # pid and every descendant
  local pid=$1
  echo "$pid"
  for child in $(ps -o pid= --ppid "$pid"); do descendants "$child"; done
}
cpu_ticks() { # utime+stime of the given pids, in clock ticks
  local total=0
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then
      total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    fi
  done
  echo "$total"
}
wait_log() { for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
wait_http() { for _ in $(seq 1 200); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; return 1; }

run() { # setup-name base-url root-pid
  local name=$1 url=$2 root=$3
  local pids; pids=$(descendants "$root" | tr '\n' ' ')
  local before; before=$(cpu_ticks $pids)
  local start; start=$(date +%s.%N)
  npm run --silent load -- load/scenarios/websocket.ts -e "BASE_URL=$url" -e "VUS=$VUS" \
    -e RAMP=5s -e HOLD=15s --summary-export "$OUT/$name.json" > "$OUT/$name.log" 2>&1 || true
  local end; end=$(date +%s.%N)
  local after; after=$(cpu_ticks $pids)
  local hz; hz=$(getconf CLK_TCK)
  printf '%s\t%s\t%s\t%s\n' "$name" "$VUS" "$(echo "$end - $start" | bc)" \
    "$(echo "scale=2; ($after - $before) / $hz" | bc)" >> "$OUT/cpu.tsv"
}

# 1. One instance, memory bus.
"$NODE" servers/main.ts serve --port "$PORT" > "$OUT/single.server.log" 2>&1 &
SINGLE=$!
wait_http "http://127.0.0.1:$PORT/healthz"
run single "http://127.0.0.1:$PORT" "$SINGLE"
kill "$SINGLE"; wait "$SINGLE" || true

# 2. One instance on the Redis bus behind nginx, and the same instance directly.
"$NODE" servers/cluster/main.ts --instances 1 --port "$PORT" --quiet > "$OUT/cluster1.log" 2>&1 &
CLUSTER=$!
trap 'kill "$CLUSTER" 2>/dev/null || true' EXIT
wait_log "$OUT/cluster1.log" 'cluster at'
INSTANCE=$(grep -o 'instances (http://[0-9.:]*' "$OUT/cluster1.log" | sed 's/instances (//')
run redis-direct "$INSTANCE" "$CLUSTER"
run nginx-1 "http://127.0.0.1:$PORT" "$CLUSTER"
kill "$CLUSTER"; wait "$CLUSTER" || true

# 3. Two instances behind nginx.
"$NODE" servers/cluster/main.ts --instances 2 --port "$PORT" --quiet > "$OUT/cluster2.log" 2>&1 &
CLUSTER=$!
wait_log "$OUT/cluster2.log" 'cluster at'
run nginx-2 "http://127.0.0.1:$PORT" "$CLUSTER"
kill "$CLUSTER"; wait "$CLUSTER" || true

cat "$OUT/cpu.tsv"
for name in single redis-direct nginx-1 nginx-2; do
  "$NODE" -e "const s=require('$OUT/$name.json').metrics; const l=s.feed_latency; console.log('$name', 'p50', l.med, 'p95', l['p(95)'], 'max', l.max, 'frames', s.feed_frames.count, 'gaps', s.feed_gaps.count)"
done
