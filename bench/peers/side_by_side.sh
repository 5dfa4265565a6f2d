#!/usr/bin/env bash
# The runner beside Restate, in one run, on loopback: the same saga driven over HTTP, C requests
# in flight, N checkouts after WARMUP unmeasured ones, each request answered when its checkout has
# ended; at two durability levels (fsync before acknowledging; no fsync). Also the in-process
# figure (`checkout run`, no HTTP). Repeats it all ROUNDS times, ours and Restate's phases taking
# turns, and prints a table of medians over the rounds, with the median of each round's ratio to
# Restate at equal durability (the machine is shared: one round can be unlucky).
#
# usage: [ROUNDS=3] bench/peers/side_by_side.sh [N=2000] [C=32] [WARMUP=200]
# needs: the Rust toolchain, Node 20 with npm (installs bench/peers/restate with `npm ci`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-2000}; C=${2:-32}; W=${3:-200}; ROUNDS=${ROUNDS:-3}
cd "$ROOT"
cargo build --release --locked -p checkout-runner -p checkout-bench --bin checkout --bin loadgen >&2
BIN=$ROOT/target/release
WORK=$(mktemp -d)
RESULTS=$WORK/results.jsonl
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

RESTATE=$ROOT/bench/peers/restate
(cd "$RESTATE" && npm ci --no-audit --no-fund >&2 && npx tsc -p . >&2)

ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
HZ=$(getconf CLK_TCK)

# Records one measured phase: label, durability, the loadgen line, and the CPU the servers used.
measure() {
  local label=$1 durability=$2 url=$3; shift 3
  "$BIN/loadgen" "$url" "$W" "$C" 0 warmup >/dev/null
  local before; before=$(ticks "$@")
  local line; line=$("$BIN/loadgen" "$url" "$N" "$C" 0 "$label")
  local after; after=$(ticks "$@")
  python3 - "$line" "$durability" "$(( after - before ))" "$HZ" >>"$RESULTS" <<'PY'
import json, os, sys
run = json.loads(sys.argv[1]); run["durability"] = sys.argv[2]; run["round"] = int(os.environ["ROUND"])
run["cpu_ms_per_checkout"] = int(sys.argv[3]) / int(sys.argv[4]) * 1000 / max(run["ok"], 1)
print(json.dumps(run))
PY
}

python3 - "$WORK/catalog.json" <<'PY'
import json, sys
books = [{"id": f"b-{i}", "title": f"Book {i}", "stock": 1_000_000_000, "price": 1299} for i in range(10)]
customers = [{"id": f"u-{i}", "funds": 10**15, "points": 1000} for i in range(100)]
json.dump({"books": books, "customers": customers}, open(sys.argv[1], "w"))
PY

for round in $(seq 1 "$ROUNDS"); do
export ROUND=$round
echo "round $round of $ROUNDS" >&2
for durability in fsync no-fsync; do
  flag=(); [ "$durability" = no-fsync ] && flag=(--no-fsync)
  db=$WORK/ours-$durability-$round.db
  "$BIN/checkout" init --db "$db" --catalog "$WORK/catalog.json" >/dev/null
  port=$(free_port)
  "$BIN/checkout" serve --db "$db" --listen "127.0.0.1:$port" --courier-delay-ms 0 "${flag[@]}" >/dev/null &
  pid=$!; PIDS+=("$pid")
  wait_for "http://127.0.0.1:$port/health"
  measure "ours over HTTP" "$durability" "http://127.0.0.1:$port/orders?wait=true" "$pid"
  kill "$pid"; wait "$pid" 2>/dev/null || true

  config=restate.toml; [ "$durability" = no-fsync ] && config=restate-nofsync.toml
  (cd "$RESTATE" && rm -rf data && mkdir -p logs)
  (cd "$RESTATE" && exec node_modules/@restatedev/restate-server-linux-x64/bin/restate-server --no-logo -c "$config" >logs/server.log 2>&1) &
  server=$!; PIDS+=("$server")
  wait_for http://127.0.0.1:9070/health
  (cd "$RESTATE" && RESTATE_LOGGING=WARN exec node dist/service.js >logs/service.log 2>&1) &
  service=$!; PIDS+=("$service")
  for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/9080) 2>/dev/null && break; sleep 0.1; done
  (cd "$RESTATE" && RESTATE_ADMIN_URL=http://127.0.0.1:9070 node_modules/.bin/restate -y deployments register http://127.0.0.1:9080 >logs/register.log 2>&1)
  sleep 1
  measure "Restate" "$durability" "http://127.0.0.1:8080/Checkout/checkout" "$server" "$service"
  kill "$service" "$server"; wait "$service" "$server" 2>/dev/null || true

  # In process: the same orders through `checkout run`, no HTTP.
  python3 - "$WORK/orders.jsonl" "$N" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"orderId": f"p-{i}", "bookId": f"b-{i % 10}", "userId": f"u-{i % 100}", "quantity": 1 + i % 3, "redeem": i % 4 == 0}) + "\n")
PY
  db=$WORK/inproc-$durability-$round.db
  "$BIN/checkout" init --db "$db" --catalog "$WORK/catalog.json" >/dev/null
  rate=$("$BIN/checkout" run --db "$db" "$WORK/orders.jsonl" --in-flight "$C" --courier-delay-ms 0 "${flag[@]}" | sed -n 's/.*: \([0-9.]*\) checkouts\/s/\1/p')
  echo "{\"label\": \"ours in process\", \"durability\": \"$durability\", \"per_s\": $rate, \"n\": $N, \"round\": $round}" >>"$RESULTS"
done
done

python3 - "$RESULTS" "$N" "$C" "$ROUNDS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"\nN={sys.argv[2]} checkouts, {sys.argv[3]} in flight, after a warm-up; latencies are per request;")
print(f"each figure is the median over {sys.argv[4]} rounds, the ratio the median of each round's ratio")
print("| system | durability | checkouts/s | p50 ms | p99 ms | CPU ms per checkout | x Restate |")
print("|---|---|---|---|---|---|---|")
restate = {(r["durability"], r["round"]): r["per_s"] for r in rows if r["label"] == "Restate"}
systems = list(dict.fromkeys((r["label"], r["durability"]) for r in rows))
for label, durability in systems:
    runs = [r for r in rows if (r["label"], r["durability"]) == (label, durability)]
    def median(key, spec):
        values = [r[key] for r in runs if key in r]
        return format(statistics.median(values), spec) if values else "-"
    ratios = [r["per_s"] / restate[(durability, r["round"])] for r in runs if (durability, r["round"]) in restate]
    ratio = f"{statistics.median(ratios):.1f}" if ratios else "-"
    print(f'| {label} | {durability} | {median("per_s", ".0f")} | {median("p50_ms", ".1f")} | {median("p99_ms", ".1f")} | {median("cpu_ms_per_checkout", ".2f")} | {ratio} |')
PY
