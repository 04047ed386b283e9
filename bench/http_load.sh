#!/usr/bin/env bash
# HTTP load benchmark of issue 4 (a benchmark, not a test). With wrk on
# loopback and 64 connections, against `caseledger serve` on a fresh
# temporary data dir, it measures:
#   (a) case reads: GET /v1/cases/{case}/history?purpose=casework, then
#       GET /v1/cases/{case}?purpose=casework. Every read appends a durable
#       access.read record (a group commit with fsync) BEFORE it answers, so
#       each read is also a durable write;
#   (b) appends: POST /v1/cases/{case}/events, a concern.responded with a body;
# and, in the same run and on the same data dir, the ledger's own group-commit
# append rate (caseledger_bench --domain-appends: the domain ledger with policy
# engine and projections, 64 closed-loop submitters, the same event), half
# before and half after the HTTP append phase. It prints requests/s, p50 and
# p99 per phase, the mean group-commit batch and commit time (from /metrics,
# caseledger_batch_size_events and caseledger_commit_duration_seconds), the
# server's CPU per request, and the ratio HTTP appends/s / ledger appends/s
# against the target >= 0.5. Then it stops the server (SIGTERM) and requires
# `caseledger verify` to pass. Analysis: docs/performance.md, "HTTP load
# (issue 4)".
#
#   bench/http_load.sh            # about 65 s: 3 wrk phases of SECS, 2 x SECS/2 baseline
#   SECS=3 bench/http_load.sh     # a quick look (about 20 s)
#
# Environment: SECS (seconds per wrk phase, default 10, at most 20), CONNS
# (default 64), WRK_THREADS (default 2), CASES (cases per set, default 512;
# four sets), TMPDIR (where the data dir goes; default /var/tmp; it must be a
# real disk), CASELEDGER_BIN, CASELEDGER_BENCH (default build/release/...),
# KEEP (set: keep the data dir), PERF_PHASE (history, case or append: record a
# perf profile of the server during that phase into the kept work dir; with
# KEEP). Needs wrk (installed from Debian if missing)
# and curl.
# Exit 0 whether the target passes or misses; 1 if a measurement failed (a
# non-2xx response or socket error in a phase, a failed baseline, the server
# not stopping cleanly, verify not clean); 2 on bad usage. Fake data only.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=http_load
# shellcheck source=bench/lib.sh
. bench/lib.sh
# A throwaway data dir with a demo master key (demo mode, docs/privacy.md).
export CASELEDGER_DEMO=1
unset CASELEDGER_MASTER_KEY_FILE CASELEDGER_MASTER_PASSPHRASE_FILE

SECS="${SECS:-10}"
CONNS="${CONNS:-64}"
WRK_THREADS="${WRK_THREADS:-2}"
CASES="${CASES:-512}"
BIN="${CASELEDGER_BIN:-build/release/cli/caseledger}"
BENCH="${CASELEDGER_BENCH:-build/release/bench/caseledger_bench}"
LUA="bench/wrk/caseledger.lua"

for v in SECS CONNS WRK_THREADS CASES; do
  if ! [[ "${!v}" =~ ^[1-9][0-9]*$ ]]; then
    echo "http_load: $v must be a positive integer" >&2
    exit 2
  fi
done
if [ "$SECS" -gt 20 ]; then
  echo "http_load: SECS at most 20 (the whole run must stay under 2 minutes)" >&2
  exit 2
fi
for f in "$BIN" "$BENCH"; do
  if [ ! -x "$f" ]; then
    echo "http_load: $f missing; build it (cmake --preset release && cmake --build --preset release)" >&2
    exit 2
  fi
done

# wrk from Debian, installed only if missing (as scripts/setup does).
bench_install wrk
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "http_load: $tool is missing" >&2; exit 2; }
done

parent="${TMPDIR:-/var/tmp}"
work="$(mktemp -d "$parent/caseledger-http-XXXXXX")"
data="$work/data"
server_pid=""
cleanup() {
  bench_kill_server
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

start=$(date +%s)
echo "caseledger HTTP load  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
bench_print_machine
echo "  wrk -t$WRK_THREADS -c$CONNS -d${SECS}s --latency; $CASES cases per phase"
bench_warn_tmpfs

# --- data dir and users (bench/lib.sh) ---------------------------------------
bench_init_data http-load

# --- cases (as in tests/http/case_walk.h: a concern, then case.assigned) -----
# Four sets of CASES fresh cases: the reads, the HTTP appends, and the two
# halves of the ledger's own appends each get their own, so every append
# figure starts from cases of the same length (a case's stored state grows
# with every append, and both POST .../events and the writer's projection
# update handle it whole; docs/performance.md). One curl process per pass,
# 16 requests in flight (bench_create_cases in bench/lib.sh).
start_server
total_cases=$((4 * CASES))
bench_create_cases "$total_cases"
read_cases=$(set_of 0)
append_cases=$(set_of 1)
echo "  $total_cases cases created over HTTP (4 sets of $CASES), each a concern.reported + case.assigned"

# --- wrk phases --------------------------------------------------------------
declare -A RPS P50 P99 BAD BATCH COMMIT REQS CPU
phase() {  # name mode cases
  local name=$1 mode=$2 cases_csv=$3 out="$work/wrk-$1.txt" m0 m1 cpu0 cpu1
  m0=$(scrape)
  cpu0=$(server_cpu)
  local perf_pid=""
  if [ -n "${PERF_PHASE:-}" ] && [ "$PERF_PHASE" = "$name" ]; then
    # Profiling aid (not part of a figure): sample the server during this phase.
    perf record -q --call-graph dwarf,16384 -F 199 -p "$server_pid" -o "$work/perf-$name.data" \
      -- sleep "$SECS" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  CL_MODE=$mode CL_TOKEN=$cw_tok CL_CASES=$cases_csv \
    timeout $((SECS + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --latency \
    -s "$LUA" "http://127.0.0.1:$port" >"$out" 2>&1 || fail "wrk ($name): $(tail -3 "$out")"
  cpu1=$(server_cpu)
  m1=$(scrape)
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; echo "  perf data: $work/perf-$name.data"; fi
  echo
  echo "== $name: $(sed -n 's/^Running \(.*\)/\1/p' "$out")"
  awk '/Latency Distribution/ { on = 1 } on || /^status / { print } /^Requests\/sec/ { on = 0 }' "$out" |
    sed 's/^/  /'
  if grep -q 'caseledger.lua:' "$out"; then fail "$name: the wrk script failed: $(grep -m1 'caseledger.lua:' "$out")"; fi
  RPS[$name]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  P50[$name]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  P99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  REQS[$name]=$(awk '/requests in/ { print $1 }' "$out")
  local non2xx sock wanted other b0 e0 c0 b1 e1 c1
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  sock=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
  wanted=$([ "$mode" = append ] && echo 201 || echo 200)
  other=$(awk -v w="$wanted" '$1 == "status" && $2 != w { n += $3 } END { print n + 0 }' "$out")
  # wrk counts status >= 400; the script's own table counts any status but the wanted one.
  BAD[$name]=$(( ${sock:-0} + (other > ${non2xx:-0} ? other : ${non2xx:-0}) ))
  read -r b0 e0 c0 <<<"$m0"
  read -r b1 e1 c1 <<<"$m1"
  BATCH[$name]=$(awk -v b=$((b1 - b0)) -v e=$((e1 - e0)) 'BEGIN { printf "%.1f", b ? e / b : 0 }')
  COMMIT[$name]=$(awk -v b=$((b1 - b0)) -v c0="$c0" -v c1="$c1" 'BEGIN { printf "%.0f", b ? (c1 - c0) * 1e6 / b : 0 }')
  CPU[$name]=$(awk -v c0="$cpu0" -v c1="$cpu1" -v n="${REQS[$name]:-0}" 'BEGIN { printf "%.0f", n ? (c1 - c0) * 1e6 / n : 0 }')
  echo "  /metrics: $((e1 - e0)) events in $((b1 - b0)) group commits: mean batch ${BATCH[$name]}, mean commit ${COMMIT[$name]} us (incl. fsync)"
  echo "  server CPU: ${CPU[$name]} us per request; the phase added $(( (e1 - e0) / CASES )) events to each of its $CASES cases"
  if [ -z "${RPS[$name]}" ] || [ "${P50[$name]}" = nan ] || [ "${P99[$name]}" = nan ]; then
    fail "could not parse wrk's output of $name (see above)"
  fi
  if [ "${BAD[$name]}" -ne 0 ]; then
    fail "$name: ${BAD[$name]} requests were not answered $wanted (wrk: non-2xx ${non2xx:-0}, socket errors ${sock:-0}; other statuses $other)"
  fi
}

# (a) reads: each appends an access.read (durable) before it answers.
phase history history "$read_cases"
phase case case "$read_cases"
stop_server

# --- (b) appends: the ledger's own, HTTP, the ledger's own again ------------
half=$(( (SECS + 1) / 2 ))
baseline() {  # label set: prints the summary; the figures stay in $work/baseline-<label>.txt
  local out="$work/baseline-$1.txt"
  timeout $((half + 30)) "$BENCH" --domain-appends "$data" --actor "$cw_id" --role caseworker \
    --cases "$(set_of "$2")" --submitters "$CONNS" --seconds "$half" >"$out" 2>&1 ||
    fail "caseledger_bench --domain-appends: $(tail -3 "$out")"
  echo
  echo "== ledger's own appends ($1 the HTTP append phase): caseledger_bench --domain-appends"
  grep -v '^domain-appends ' "$out" | sed 's/^/  /'
}
fsync_a=$(fsync_probe)
baseline before 2
start_server
phase append append "$append_cases"
stop_server
baseline after 3
fsync_b=$(fsync_probe)
base_a=$(grep '^domain-appends ' "$work/baseline-before.txt")
base_b=$(grep '^domain-appends ' "$work/baseline-after.txt")

# --- verify --------------------------------------------------------------------
echo
verify_out=$(timeout 60 "$BIN" verify --data "$data" 2>&1) || fail "verify: $verify_out"
echo "verify: $verify_out"

# --- table -----------------------------------------------------------------
la=$(field per_s "$base_a"); lb=$(field per_s "$base_b")
ledger_rate=$(awk -v a="$la" -v b="$lb" 'BEGIN { printf "%.1f", (a + b) / 2 }')
ratio=$(awk -v h="${RPS[append]}" -v l="$ledger_rate" 'BEGIN { printf "%.2f", h / l }')
result=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5 ? "PASS" : "MISS") }')
echo
echo "== HTTP load, $CONNS connections, loopback, ${SECS}s per wrk phase ($(( $(date +%s) - start )) s; load average (1 min) at end: $(cut -d' ' -f1 /proc/loadavg))"
printf '  %-44s %8s %8s %8s %7s %9s %7s\n' "phase" "req/s" "p50 ms" "p99 ms" "batch" "commit us" "CPU us"
row() { printf '  %-44s %8.0f %8.2f %8.2f %7.1f %9s %7s\n' "$@"; }
row "GET /v1/cases/{c}/history (+ access.read)" "${RPS[history]}" "${P50[history]}" "${P99[history]}" "${BATCH[history]}" "${COMMIT[history]}" "${CPU[history]}"
row "GET /v1/cases/{c} (+ access.read)" "${RPS[case]}" "${P50[case]}" "${P99[case]}" "${BATCH[case]}" "${COMMIT[case]}" "${CPU[case]}"
row "POST /v1/cases/{c}/events" "${RPS[append]}" "${P50[append]}" "${P99[append]}" "${BATCH[append]}" "${COMMIT[append]}" "${CPU[append]}"
for b in "before:$base_a" "after:$base_b"; do
  s=${b#*:}
  row "ledger's own appends, $CONNS submitters (${b%%:*})" "$(field per_s "$s")" \
    "$(awk -v u="$(field p50_us "$s")" 'BEGIN { print u / 1000 }')" \
    "$(awk -v u="$(field p99_us "$s")" 'BEGIN { print u / 1000 }')" \
    "$(field mean_batch "$s")" "$(field commit_mean_us "$s")" "$(field cpu_us "$s")"
done
echo "  (batch: mean events per group commit; commit: mean commit incl. fsync; CPU: server or bench"
echo "   process CPU per request/append, all threads)"
echo "  disk: 1 KiB append + O_DSYNC (dd, same dir) ${fsync_a:-?} us before, ${fsync_b:-?} us after the appends"
echo
echo "  HTTP appends/s / ledger appends/s = ${RPS[append]} / $ledger_rate (mean of before and after) = $ratio   target >= 0.50   $result"
echo "  non-2xx or failed: history ${BAD[history]}, case ${BAD[case]}, append ${BAD[append]} (of ${REQS[history]}, ${REQS[case]}, ${REQS[append]} requests)"
