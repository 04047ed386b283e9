#!/usr/bin/env bash
# Cluster benchmark of issue 19 (a benchmark, not a test). In one run, on
# this machine, with etcd (Debian's etcd-server) on loopback:
#   (a) a single node: `caseledger serve` on a copy of a seeded data dir;
#   (b) a 3-node cluster (`serve --cluster`, min_acks 1: one synchronous
#       follower) on three copies of the same seed;
# each loaded by wrk with CONNS connections for SECS seconds of appends
# (POST /v1/cases/{case}/events, a concern.responded, against the node that
# leads), and then
#   (c) failover: KILLS times, the cluster's leader is killed (SIGKILL) while
#       a client posts every 20 ms through the other nodes; the time from the
#       kill to the first 201 is measured; the killed node is restarted.
# Prints appends/s, p50 and p99 for (a) and (b), the CPU each spends per
# append (the single node; the leader and the followers), the ratio
# cluster/single, and the failover time p50 and max. Every node's log must verify at the end.
#
#   bench/cluster_load.sh              # SECS=10 CONNS=32 KILLS=5, about 2 minutes
#   SECS=3 KILLS=3 bench/cluster_load.sh
#
# Environment: SECS (1..20), CONNS, KILLS (1..20), TTL (lease seconds,
# default 2), CASES (default 64), TMPDIR (default /var/tmp: a real disk),
# CASELEDGER_BIN, KEEP (set: keep the work dir). Needs wrk, curl and
# /usr/bin/etcd (scripts/setup installs them). Exit 0 whatever the figures;
# 1 if a measurement failed. Synthetic data only.
set -euo pipefail
cd "$(dirname "$0")/.."
export CASELEDGER_DEMO=1
unset CASELEDGER_MASTER_KEY_FILE CASELEDGER_MASTER_PASSPHRASE_FILE

SECS="${SECS:-10}"
CONNS="${CONNS:-32}"
KILLS="${KILLS:-5}"
TTL="${TTL:-2}"
CASES="${CASES:-64}"
BIN="${CASELEDGER_BIN:-build/release/cli/caseledger}"
LUA="bench/wrk/caseledger.lua"
for v in SECS CONNS KILLS TTL CASES; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "cluster_load: $v must be a positive integer" >&2; exit 2; }
done
[ "$SECS" -le 20 ] && [ "$KILLS" -le 20 ] || { echo "cluster_load: SECS and KILLS at most 20" >&2; exit 2; }
for tool in wrk curl /usr/bin/etcd "$BIN"; do
  command -v "$tool" >/dev/null || { echo "cluster_load: $tool is missing (scripts/setup)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/var/tmp}/caseledger-cluster.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "cluster_load: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ms_now() { date +%s%3N; }

# --- etcd ---------------------------------------------------------------------
ec=$(free_port); ep=$(free_port)
/usr/bin/etcd --name bench --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$ec" \
  --advertise-client-urls "http://127.0.0.1:$ec" --listen-peer-urls "http://127.0.0.1:$ep" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ep" --initial-cluster "bench=http://127.0.0.1:$ep" \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$ec/health" 2>/dev/null | grep -q true && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$ec/health" | grep -q true || fail "etcd did not start: $(tail -3 "$work/etcd.log")"

# --- the seed: users and CASES assigned cases ---------------------------------
seed="$work/seed-data"
"$BIN" init --data "$seed" --origin bench.caseledger.invalid/cluster >/dev/null
add_user() {  # role -> "<id> <token>"
  local out
  out=$("$BIN" user add --data "$seed" --role "$1" --name "Synthetic $1") || fail "user add $1"
  printf '%s %s\n' "$(sed -n 's/^user \(u-[a-z2-7]*\) .*/\1/p' <<<"$out")" "$(sed -n 's/^token \(.*\)$/\1/p' <<<"$out")"
}
read -r _ _ < <(add_user dpo)
read -r cw_id cw_tok < <(add_user caseworker)
read -r _ co_tok < <(add_user coordinator)
port=$(free_port)
"$BIN" serve --data "$seed" --listen "127.0.0.1:$port" >"$work/seed.out" 2>"$work/seed.err" &
seed_pid=$!
pids+=($seed_pid)
for _ in $(seq 100); do grep -q '^listening on ' "$work/seed.out" && break; sleep 0.1; done
concern='{"subject":null,"h":{"source":"school","subject_kind":"person","grounds":[{"code":"b.threat","observed_on":"2026-01-15"}],"context":[],"minor":false,"new_subject":true},"body":{"narrative":"synthetic narrative (benchmark data)"}}'
cases=()
for _ in $(seq "$CASES"); do
  c=$(curl -fsS -H "Authorization: Bearer $cw_tok" -H 'Content-Type: application/json' -d "$concern" \
    "http://127.0.0.1:$port/v1/cases" | sed -n 's/.*"case":"\(c-[a-z2-7]*\)".*/\1/p')
  [ -n "$c" ] || fail "could not create a case"
  curl -fsS -o /dev/null -H "Authorization: Bearer $co_tok" -H 'Content-Type: application/json' \
    -d "{\"type\":\"case.assigned\",\"h\":{\"assignees\":[\"$cw_id\"]}}" "http://127.0.0.1:$port/v1/cases/$c/events" ||
    fail "could not assign a case"
  cases+=("$c")
done
kill -TERM "$seed_pid"; wait "$seed_pid" || true
"$BIN" backup --data "$seed" --out "$work/seed" >/dev/null || fail "backup"
restore() { "$BIN" restore "$work/seed" --data "$1" --backup-only >/dev/null 2>&1 || fail "restore $1"; }
case_csv=$(IFS=,; echo "${cases[*]}")

# --- wrk ----------------------------------------------------------------------
to_ms() {  # wrk's "1.23ms" / "456.00us" / "1.01s" -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
    else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
cpu_of() {  # pids... -> CPU seconds (user + system) they have used so far
  local total=0 p
  for p in "$@"; do
    total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", t + ($14 + $15) / hz }' "/proc/$p/stat")
  done
  echo "$total"
}
load() {  # name port -> "rps p50 p99"
  local out="$work/wrk-$1.txt"
  CL_MODE=append CL_TOKEN="$cw_tok" CL_CASES="$case_csv" timeout $((SECS + 30)) \
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$LUA" "http://127.0.0.1:$2" >"$out" 2>&1 ||
    fail "wrk $1: $(tail -3 "$out")"
  grep -q '^status 201 ' "$out" || fail "wrk $1: no 201 ($(grep '^status' "$out" | tr '\n' ' '))"
  local bad
  bad=$(awk '$1 == "status" && $2 != 201 { n += $3 } END { print n + 0 }' "$out")
  [ "$bad" -eq 0 ] || fail "wrk $1: $bad responses were not 201"
  printf '%s %s %s\n' "$(awk '/^Requests\/sec:/ { print $2 }' "$out")" \
    "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")" "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
}

# --- (a) single node ----------------------------------------------------------
restore "$work/single"
sp=$(free_port)
"$BIN" serve --data "$work/single" --listen "127.0.0.1:$sp" --retention-every 0 >"$work/single.out" 2>"$work/single.err" &
single_pid=$!
pids+=($single_pid)
for _ in $(seq 100); do grep -q '^listening on ' "$work/single.out" && break; sleep 0.1; done
c0=$(cpu_of "$single_pid")
read -r s_rps s_p50 s_p99 < <(load single "$sp")
s_cpu=$(awk -v a="$c0" -v b="$(cpu_of "$single_pid")" -v n="$s_rps" -v t="$SECS" 'BEGIN { printf "%.0f", (b - a) / (n * t) * 1e6 }')
kill -TERM "$single_pid"; wait "$single_pid" || fail "the single node did not stop cleanly"
"$BIN" verify --data "$work/single" >/dev/null || fail "the single node's log does not verify"

# --- (b) three nodes ----------------------------------------------------------
np=($(free_port) $(free_port) $(free_port))
node_pid=(0 0 0)
cp -r "$seed" "$work/n1"
restore "$work/n2"; restore "$work/n3"
for i in 0 1 2; do
  peers=""
  for j in 0 1 2; do
    [ "$i" = "$j" ] || peers="$peers{\"id\":\"n$((j + 1))\",\"url\":\"http://127.0.0.1:${np[j]}\"},"
  done
  printf '{"node_id":"n%d","url":"http://127.0.0.1:%d","etcd":["http://127.0.0.1:%d"],"peers":[%s],"min_acks":1,"lease_ttl_s":%d,"ship_timeout_ms":1500}\n' \
    $((i + 1)) "${np[i]}" "$ec" "${peers%,}" "$TTL" >"$work/c$((i + 1)).json"
done
start_node() {  # index
  local i=$1
  "$BIN" serve --data "$work/n$((i + 1))" --listen "127.0.0.1:${np[i]}" --cluster "$work/c$((i + 1)).json" \
    --retention-every 0 >"$work/n$((i + 1)).out" 2>>"$work/n$((i + 1)).err" &
  node_pid[i]=$!
  pids+=($!)
}
leader() {  # -> index of the node that says it leads, or nothing
  for i in 0 1 2; do
    curl -fsS --max-time 1 "http://127.0.0.1:${np[i]}/healthz" 2>/dev/null | grep -q '"role":"leader"' && { echo "$i"; return; }
  done
  return 0
}
for i in 0 1 2; do start_node "$i"; done
l=""
for _ in $(seq 200); do l=$(leader); [ -n "$l" ] && break; sleep 0.05; done
[ -n "$l" ] || fail "no leader elected"
followers=()
for i in 0 1 2; do [ "$i" = "$l" ] || followers+=("${node_pid[i]}"); done
l0=$(cpu_of "${node_pid[l]}"); f0=$(cpu_of "${followers[@]}")
read -r c_rps c_p50 c_p99 < <(load cluster "${np[l]}")
c_lcpu=$(awk -v a="$l0" -v b="$(cpu_of "${node_pid[l]}")" -v n="$c_rps" -v t="$SECS" 'BEGIN { printf "%.0f", (b - a) / (n * t) * 1e6 }')
c_fcpu=$(awk -v a="$f0" -v b="$(cpu_of "${followers[@]}")" -v n="$c_rps" -v t="$SECS" 'BEGIN { printf "%.0f", (b - a) / (n * t) * 1e6 }')

# --- (c) failover -------------------------------------------------------------
body='{"type":"concern.responded","h":{"channel":"phone"},"body":{"note":"synthetic"}}'
times=()
for k in $(seq "$KILLS"); do
  l=""
  for _ in $(seq 400); do l=$(leader); [ -n "$l" ] && break; sleep 0.05; done
  [ -n "$l" ] || fail "no leader before kill $k"
  kill -KILL "${node_pid[l]}"; wait "${node_pid[l]}" 2>/dev/null || true
  t0=$(ms_now); t1=""
  while [ $(( $(ms_now) - t0 )) -lt 60000 ]; do
    for i in 0 1 2; do
      [ "$i" = "$l" ] && continue
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --location-trusted -H "Authorization: Bearer $cw_tok" \
        -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:${np[i]}/v1/cases/${cases[0]}/events" || true)
      if [ "$code" = 201 ]; then t1=$(ms_now); break 2; fi
    done
    sleep 0.02
  done
  [ -n "$t1" ] || fail "appends did not resume within 60 s after kill $k"
  times+=($((t1 - t0)))
  start_node "$l"
  sleep 1
done
for i in 0 1 2; do kill -TERM "${node_pid[i]}"; wait "${node_pid[i]}" || fail "node n$((i + 1)) did not stop cleanly"; done
for i in 1 2 3; do "$BIN" verify --data "$work/n$i" >/dev/null || fail "n$i's log does not verify"; done

sorted=($(printf '%s\n' "${times[@]}" | sort -n))
f50=${sorted[$(( ${#sorted[@]} / 2 ))]}
fmax=${sorted[$(( ${#sorted[@]} - 1 ))]}
echo "== cluster benchmark: loopback, $(nproc) cores, wrk -t2 -c$CONNS -d${SECS}s appends, etcd lease ${TTL} s"
printf '  %-44s %10s %10s %10s %14s\n' "" "appends/s" "p50 ms" "p99 ms" "CPU us/append"
printf '  %-44s %10s %10s %10s %14s\n' "single node" "$s_rps" "$s_p50" "$s_p99" "$s_cpu"
printf '  %-44s %10s %10s %10s %14s\n' "3 nodes, 1 synchronous follower (min_acks 1)" "$c_rps" "$c_p50" "$c_p99" \
  "$c_lcpu + $c_fcpu"
echo "  (CPU us/append: server processes' user + system CPU per acknowledged append; for the cluster the"
echo "   leader's + both followers' together. On one machine the nodes share its $(nproc) cores with etcd and wrk.)"
awk -v c="$c_rps" -v s="$s_rps" 'BEGIN { printf "  cluster / single appends/s = %.2f\n", c / s }'
echo "  failover (leader SIGKILL -> first 201 through another node), $KILLS kills: p50 $f50 ms, max $fmax ms (all: ${times[*]})"
echo "  every node's log verifies"
