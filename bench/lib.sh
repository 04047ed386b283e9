# Shell functions shared by the HTTP benchmarks (bench/http_load.sh,
# bench/pg_compare.sh); sourced, not run. They work on the caller's globals:
#   bench_name  the script's name, the prefix of its messages (set before sourcing)
#   BIN         the caseledger binary
#   work        the work dir (temporary; the caller removes it)
#   data        the data dir (set by bench_init_data)
#   server_pid, port                 set by start_server, cleared by stop_server
#   cw_id, cw_tok, co_tok            set by bench_init_data
#   case_ids, CASES                  set by bench_create_cases; CASES is the set size
# Every function that fails calls fail, which exits 1. Synthetic data only.
# shellcheck shell=bash disable=SC2154  # the globals above are the caller's

fail() {
  echo "$bench_name: FAILED: $*" >&2
  exit 1
}

# Installs the Debian packages given that are not installed (as scripts/setup does).
bench_install() {
  local p missing=() sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "$bench_name: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The machine lines of a report's header: CPU, the work dir's file system, load.
bench_print_machine() {
  echo "  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) hardware threads"
  echo "  data: $work ($(stat -f -c %T "$work"))"
  echo "  load average (1 min) at start: $(cut -d' ' -f1 /proc/loadavg)"
}
bench_warn_tmpfs() {
  if [ "$(stat -f -c %T "$work")" = "tmpfs" ]; then
    echo "  WARNING: tmpfs: fsync costs nothing here, the figures do not mean what they should" >&2
  fi
}

# --- data dir and users ----------------------------------------------------
# A fresh data dir $work/data (origin bench.caseledger.invalid/<origin>) with
# a DPO, a caseworker (cw_id, cw_tok) and a coordinator (co_tok).
bench_init_data() {  # origin
  data="$work/data"
  "$BIN" init --data "$data" --origin "bench.caseledger.invalid/$1" >/dev/null
  read -r _ _ < <(add_user dpo)  # the first DPO registers itself
  read -r cw_id cw_tok < <(add_user caseworker)
  read -r _ co_tok < <(add_user coordinator)
  if [ -z "$cw_id" ] || [ -z "$cw_tok" ] || [ -z "$co_tok" ]; then
    fail "could not read the users' ids and tokens"
  fi
}
# `user add` prints "user <id> role <role> (seq n)" and "token <token>".
add_user() {  # role -> "<id> <token>"
  local out
  out=$("$BIN" user add --data "$data" --role "$1" --name "Synthetic $1") || fail "user add $1"
  printf '%s %s\n' "$(sed -n 's/^user \(u-[a-z2-7]*\) .*/\1/p' <<<"$out")" \
    "$(sed -n 's/^token \(.*\)$/\1/p' <<<"$out")"
}

# --- server ------------------------------------------------------------------
start_server() {
  : >"$work/serve.out"
  "$BIN" serve --data "$data" --listen 127.0.0.1:0 >"$work/serve.out" 2>>"$work/serve.err" &
  server_pid=$!
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$work/serve.out"; then break; fi
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited: $(tail -3 "$work/serve.err")"
    sleep 0.1
  done
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/serve.out")
  [ -n "$port" ] || fail "the server did not print 'listening on ...' within 10 s"
}
stop_server() {  # SIGTERM; the server must exit 0 within 30 s (else SIGKILL and fail)
  local rc=0 watchdog
  kill -TERM "$server_pid"
  ( for _ in $(seq 300); do sleep 0.1; done; kill -KILL "$server_pid" 2>/dev/null ) &
  watchdog=$!
  wait "$server_pid" || rc=$?
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
  server_pid=""
  [ "$rc" -eq 0 ] || fail "the server exited with $rc after SIGTERM: $(tail -3 "$work/serve.err")"
}
# For an EXIT trap: stops a server still running, without checks.
bench_kill_server() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}

# Writer figures from /metrics: "<batches> <events> <commit seconds>".
scrape() {
  curl -fsS "http://127.0.0.1:$port/metrics" | awk '
    $1 == "caseledger_batch_size_events_count" { b = $2 }
    $1 == "caseledger_batch_size_events_sum" { e = $2 }
    $1 == "caseledger_commit_duration_seconds_sum" { c = $2 }
    END { printf "%d %d %s\n", b, e, c + 0 }'
}
server_cpu() {  # CPU seconds (user + system) the server has used so far
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$server_pid/stat"
}

# --- cases (as in tests/http/case_walk.h: a concern, then case.assigned) -----
# Creates `total` fresh cases over HTTP with the running server: each a
# concern.reported by the caseworker, then a case.assigned to the caseworker
# by the coordinator. Fills case_ids; set_of k gives the k-th set of CASES of
# them. One curl process per pass, 16 requests in flight.
bench_create_cases() {  # total
  local total=$1 n
  cat >"$work/concern.json" <<'JSON'
{"subject":null,"h":{"source":"school","subject_kind":"person","grounds":[{"code":"b.threat","observed_on":"2026-01-15"}],"context":[],"minor":false,"new_subject":true},"body":{"narrative":"synthetic narrative (benchmark data) about Testperson 9001, Syntetisk Vej 9, 9999 Demoby; no identity block: every POST names a new person, and one CPR number is one subject"}}
JSON
  printf '{"type":"case.assigned","h":{"assignees":["%s"]}}' "$cw_id" >"$work/assign.json"
  mkdir -p "$work/new" "$work/assigned"
  for n in $(seq "$total"); do
    printf 'url = "http://127.0.0.1:%s/v1/cases"\noutput = "%s/new/%d.json"\n' "$port" "$work" "$n"
  done >"$work/create.cfg"
  curl_all "$cw_tok" "$work/concern.json" "$work/create.cfg" "$total"
  mapfile -t case_ids < <(for n in $(seq "$total"); do printf '%s\n' "$work/new/$n.json"; done |
    xargs awk 'FNR == 1 { if (match($0, /"case":"c-[a-z2-7]+"/)) print substr($0, RSTART + 8, RLENGTH - 9); else print "none" }')
  [ "${#case_ids[@]}" -eq "$total" ] || fail "read ${#case_ids[@]} case ids, expected $total"
  for n in $(seq "$total"); do
    printf 'url = "http://127.0.0.1:%s/v1/cases/%s/events"\noutput = "%s/assigned/%d.json"\n' \
      "$port" "${case_ids[n - 1]}" "$work" "$n"
  done >"$work/assign.cfg"
  curl_all "$co_tok" "$work/assign.json" "$work/assign.cfg" "$total"
}
curl_all() {  # token body config-file count: POSTs, requires HTTP 201 for every URL
  { printf 'header = "Authorization: Bearer %s"\n' "$1"
    printf 'header = "Content-Type: application/json"\n'
    printf 'data-binary = "@%s"\n' "$2"
    cat "$3"; } >"$3.full"
  curl -sS --no-progress-meter --parallel --parallel-max 16 -w '%{http_code}\n' -K "$3.full" \
    >"$3.codes" 2>"$3.err" || fail "curl ($3): $(tail -3 "$3.err")"
  local ok
  ok=$(grep -c '^201$' "$3.codes" || true)
  [ "$ok" -eq "$4" ] || fail "only $ok of $4 POSTs in $3 got 201"
}
set_of() {  # k (0..) -> the comma-separated case ids of set k
  (IFS=,; echo "${case_ids[*]:$(($1 * CASES)):$CASES}")
}

# --- figures -------------------------------------------------------------------
to_ms() {  # wrk's "1.23ms" / "456.00us" / "1.01s" / "2.00m" -> milliseconds
  awk -v t="$1" 'BEGIN {
    if (t ~ /us$/) { sub(/us$/, "", t); printf "%.3f", t / 1000 }
    else if (t ~ /ms$/) { sub(/ms$/, "", t); printf "%.3f", t }
    else if (t ~ /m$/) { sub(/m$/, "", t); printf "%.3f", t * 60000 }
    else if (t ~ /s$/) { sub(/s$/, "", t); printf "%.3f", t * 1000 }
    else { printf "nan" } }'
}
# The disk's own durable-write latency in the work dir.
fsync_probe() {  # -> mean microseconds of a 1 KiB append with O_DSYNC (200 of them)
  LC_ALL=C dd if=/dev/zero of="$work/fsync.probe" bs=1024 count=200 oflag=dsync 2>&1 |
    sed -n 's/.*copied, \([0-9.e+-]*\) s,.*/\1/p' | awk '{ printf "%.0f\n", $1 * 1e6 / 200 }'
  rm -f "$work/fsync.probe"
}
# A member of a "key=value key=value" line (caseledger_bench's summary lines).
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | tail -1; }
