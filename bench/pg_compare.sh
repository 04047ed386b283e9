#!/usr/bin/env bash
# PostgreSQL side by side (issue 20; a benchmark, not a test). In one run, on
# this machine and disk, at 1, 16 and 64 concurrent clients (CLIENTS):
#   PostgreSQL  a throwaway cluster of Debian's `postgresql` (initdb in a
#               temporary dir under TMPDIR, unix socket only, fsync and
#               synchronous_commit on, the other settings initdb's defaults):
#               pgbench -M prepared, each transaction one INSERT of one row
#               into events(seq bigserial primary key, case_id, type, at,
#               actor, body jsonb), the row made from a stored event line of
#               this run's own log (the concern.responded the other two sides
#               append): its actor; a case id of the same length; the type;
#               now(); the rest of the line, ciphertext and signature
#               included, as jsonb (opaque bytes to PostgreSQL). The same
#               event, the same size, unsigned;
#   domain      caseledger's own appends: caseledger_bench --domain-appends
#               (policy engine, live projections, signing, encryption, group
#               commit with fsync), N closed-loop submitters;
#   HTTP        POST /v1/cases/{c}/events against `caseledger serve` with wrk,
#               N connections (bench/wrk/caseledger.lua, CL_MODE=append);
# each for SECS seconds per client count, interleaved so that drift of the
# disk or of the machine's load hits all three alike: PostgreSQL SECS/2,
# domain SECS/2, HTTP SECS, domain SECS/2, PostgreSQL SECS/2. The domain
# halves and the HTTP phase each get their own CASES fresh cases (a case's
# cost grows with its length). Prints each phase, then a table of appends/s,
# the ratios caseledger/PostgreSQL and CPU per append, and one line
# "pg-compare clients=N ..." per client count for scripts; a row is marked
# not steady (steady=no) when the two halves of PostgreSQL or of domain differ
# by more than 25 % or the disk's sync latency (dd, before and after the row)
# by more than 2x: a shared virtual disk can change that much within a
# minute, and the ratios of such a row mean little. The acceptance
# targets of issue 20 (at 64 clients: HTTP/PostgreSQL >= 1.0, domain/
# PostgreSQL >= 2.0) are printed with PASS or MISS. At the end the log must
# verify and the table must hold every row pgbench counted. Analysis:
# docs/performance.md, "PostgreSQL side by side (issue 20)".
#
#   bench/pg_compare.sh            # about 2 3/4 minutes (SECS=10)
#   SECS=4 bench/pg_compare.sh     # a quick look (about 1 minute)
#
# Environment: SECS (2..20, default 10), CLIENTS (default "1 16 64"), THREADS
# (wrk and pgbench threads, at most the clients; default 2), CASES (cases per
# set, default 512), TMPDIR (where the data dirs go; default /var/tmp; a real
# disk), CASELEDGER_BIN, CASELEDGER_BENCH (default build/release/...), PG_BIN
# (PostgreSQL's bin dir; default the newest /usr/lib/postgresql/*/bin),
# PG_USER (the unprivileged user PostgreSQL runs as when this script runs as
# root; default postgres, which Debian's package creates), PG_PAD (bytes of
# padding added to each row's jsonb, default 0: only to see how much the row's
# size matters), KEEP (set: keep the work dirs). Needs wrk and postgresql
# (installed from Debian if missing), curl and python3. Exit 0 whether the
# targets pass or miss; 1 if a measurement failed; 2 on bad usage. Synthetic
# data only.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=pg_compare
# shellcheck source=bench/lib.sh
. bench/lib.sh
# A throwaway data dir with a demo master key (demo mode, docs/privacy.md).
export CASELEDGER_DEMO=1
unset CASELEDGER_MASTER_KEY_FILE CASELEDGER_MASTER_PASSPHRASE_FILE

SECS="${SECS:-10}"
CLIENTS="${CLIENTS:-1 16 64}"
THREADS="${THREADS:-2}"
CASES="${CASES:-512}"
BIN="${CASELEDGER_BIN:-build/release/cli/caseledger}"
BENCH="${CASELEDGER_BENCH:-build/release/bench/caseledger_bench}"
PG_USER="${PG_USER:-postgres}"
PG_PAD="${PG_PAD:-0}"
LUA="bench/wrk/caseledger.lua"

usage() { echo "pg_compare: $*" >&2; exit 2; }
for v in SECS THREADS CASES; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || usage "$v must be a positive integer"
done
if ! [[ "$PG_PAD" =~ ^[0-9]+$ ]] || [ "$PG_PAD" -gt 65536 ]; then usage "PG_PAD must be 0..65536"; fi
if [ "$SECS" -lt 2 ] || [ "$SECS" -gt 20 ]; then usage "SECS must be 2..20 (seconds per side and client count)"; fi
read -r -a clients <<<"$CLIENTS"
[ "${#clients[@]}" -ge 1 ] || usage "CLIENTS is empty"
max_clients=0
for n in "${clients[@]}"; do
  if ! [[ "$n" =~ ^[1-9][0-9]*$ ]] || [ "$n" -gt 256 ]; then usage "CLIENTS must be numbers 1..256, got '$n'"; fi
  [ "$n" -gt "$max_clients" ] && max_clients=$n
done
for f in "$BIN" "$BENCH"; do
  [ -x "$f" ] || usage "$f missing; build it (cmake --preset release && cmake --build --preset release)"
done

# wrk and PostgreSQL from Debian, installed only if missing (as scripts/setup does).
bench_install wrk postgresql
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -1)
fi
for tool in wrk curl python3 "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_BIN/pgbench" "$PG_BIN/psql"; do
  command -v "$tool" >/dev/null || usage "$tool is missing (scripts/setup installs it)"
done
# PostgreSQL refuses to run as root: then initdb, pg_ctl and the server run as PG_USER.
if [ "$(id -u)" -eq 0 ]; then
  getent passwd "$PG_USER" >/dev/null || usage "user $PG_USER missing (Debian's postgresql creates postgres; or set PG_USER)"
  as_pg() { (cd / && runuser -u "$PG_USER" -- "$@"); }
else
  as_pg() { (cd / && "$@"); }
fi

parent="${TMPDIR:-/var/tmp}"
work="$(mktemp -d "$parent/caseledger-pgcmp-XXXXXX")"
pgdir="$(mktemp -d "$parent/caseledger-pg-XXXXXX")"  # PG_USER's own: data dir, socket, log
[ "$(id -u)" -ne 0 ] || chown "$PG_USER": "$pgdir"
server_pid=""
pg_started=""
cleanup() {
  bench_kill_server
  if [ -n "$pg_started" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work and $pgdir" >&2; else rm -rf "$work" "$pgdir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

start=$(date +%s)
half=$(( (SECS + 1) / 2 ))
echo "caseledger and PostgreSQL side by side  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
bench_print_machine
echo "  pg: $pgdir ($(stat -f -c %T "$pgdir"))"
echo "  caseledger: $BIN ($(date -u -r "$BIN" '+built %Y-%m-%d %H:%M UTC')), $BENCH"
echo "  clients: ${clients[*]}; per client count: PostgreSQL ${half}s, domain ${half}s, HTTP $((2 * half))s, domain ${half}s, PostgreSQL ${half}s"
bench_warn_tmpfs

# --- PostgreSQL ----------------------------------------------------------------
# Unix socket only, in pgdir (mode 0700, PG_USER's), trust for local connections.
as_pg "$PG_BIN/initdb" -D "$pgdir/data" -U bench --auth=trust -E UTF8 --locale=C \
  --no-instructions >"$work/initdb.log" 2>&1 || fail "initdb: $(tail -3 "$work/initdb.log")"
pg_max_conn=$(( max_clients + 10 > 100 ? max_clients + 10 : 100 ))
as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$pgdir' -c fsync=on -c synchronous_commit=on -c max_connections=$pg_max_conn" \
  start >"$work/pg_ctl.log" 2>&1 || fail "pg_ctl start: $(tail -3 "$pgdir/server.log" 2>/dev/null)"
pg_started=1
psql_q() { "$PG_BIN/psql" -h "$pgdir" -U bench -d postgres -X -At -v ON_ERROR_STOP=1 -c "$1"; }
pg_settings=$(psql_q "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'listen_addresses', 'max_connections')") ||
  fail "psql: the cluster does not answer"
if ! grep -q 'fsync=on' <<<"$pg_settings" || ! grep -q 'synchronous_commit=on' <<<"$pg_settings"; then
  fail "PostgreSQL's settings are not durable: $pg_settings"
fi
echo "  $(psql_q 'SELECT version()' | cut -d, -f1): $pg_settings (shared_buffers in 8 kB pages)"
psql_q "CREATE TABLE events (seq bigserial PRIMARY KEY, case_id text NOT NULL, type text NOT NULL,
  at timestamptz NOT NULL, actor text NOT NULL, body jsonb NOT NULL)" >/dev/null || fail "CREATE TABLE"
pg_cpu() {  # CPU seconds (user + system) of the cluster: the postmaster, its live children, and those it reaped
  local pm
  pm=$(head -1 "$pgdir/data/postmaster.pid")
  { cat "/proc/$pm/stat"; for c in $(ps -o pid= --ppid "$pm"); do cat "/proc/$c/stat" 2>/dev/null || true; done; } |
    awk -v hz="$(getconf CLK_TCK)" -v pm="$pm" '{ t += $14 + $15; if ($1 == pm) t += $16 + $17 } END { printf "%.3f\n", t / hz }'
}
pg_backends_gone() {  # waits (at most 5 s) until pgbench's backends have exited and been reaped
  local pm
  pm=$(head -1 "$pgdir/data/postmaster.pid")
  for _ in $(seq 50); do
    pgrep -P "$pm" -f '^postgres: bench ' >/dev/null || return 0
    sleep 0.1
  done
}

# --- caseledger: data dir, users, cases (bench/lib.sh) ---------------------------
bench_init_data pg-compare
sets=$(( 3 * ${#clients[@]} ))  # per client count: domain before, HTTP, domain after
start_server
bench_create_cases $(( sets * CASES + 1 ))
echo "  $(( sets * CASES + 1 )) cases created over HTTP ($sets sets of $CASES and one for the sample event)"
# The sample event: one concern.responded, as wrk and the domain bench append
# them, to the spare case; its stored line is what PostgreSQL inserts.
append_body='{"type":"concern.responded","h":{"channel":"phone"},"body":{"note":"synthetic"}}'
grep -qF "$append_body" "$LUA" || fail "$LUA no longer appends $append_body; update the sample event"
curl -fsS -o /dev/null -H "Authorization: Bearer $cw_tok" -H 'Content-Type: application/json' \
  -d "$append_body" "http://127.0.0.1:$port/v1/cases/${case_ids[sets * CASES]}/events" ||
  fail "the sample concern.responded was refused"
stop_server
"$BIN" export-bundle --data "$data" --out "$work/bundle" --unwitnessed >/dev/null || fail "export-bundle"
sample=$(grep -m1 '"type":"concern.responded"' "$work/bundle/events.jsonl") || fail "no concern.responded in the log"
rm -rf "$work/bundle"
# The row: actor from the line; case (varied over CASES ids of the same length),
# type and time in their columns; the rest of the line, canonical, as the body
# (with PG_PAD: and a member "pad" of that many bytes).
read -r pg_actor pg_body < <(python3 -c '
import json, sys
e = json.loads(sys.argv[1])
actor = e.pop("actor")
for k in ("case", "type", "time"):
    e.pop(k)
if int(sys.argv[2]) > 0:
    e["pad"] = "p" * int(sys.argv[2])
print(actor, json.dumps(e, separators=(",", ":"), sort_keys=True))' "$sample" "$PG_PAD") || fail "could not split the sample line"
cat >"$work/insert.sql" <<SQL
\\set k random(1, $CASES)
INSERT INTO events (case_id, type, at, actor, body) VALUES ('c-' || lpad(:k::text, 26, 'a'), 'concern.responded', now(), :actor, :body);
SQL
echo "  sample event: a stored concern.responded line of ${#sample} bytes; the PostgreSQL row carries its actor and the other ${#pg_body} bytes as jsonb$([ "$PG_PAD" -eq 0 ] || echo ", $PG_PAD of them padding (PG_PAD)")"

# --- phases --------------------------------------------------------------------
declare -A RATE OPS CPU LAT
pg_phase() {  # key clients seconds
  local key=$1 n=$2 secs=$3 out="$work/pgbench-$1.txt" c0 c1 failed
  c0=$(pg_cpu)
  timeout $((secs + 60)) "$PG_BIN/pgbench" -n -h "$pgdir" -U bench -f "$work/insert.sql" \
    -D actor="$pg_actor" -D body="$pg_body" -c "$n" -j $((n < THREADS ? n : THREADS)) -T "$secs" \
    -M prepared postgres >"$out" 2>&1 || fail "pgbench ($key): $(tail -3 "$out")"
  pg_backends_gone
  c1=$(pg_cpu)
  RATE[$key]=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$out")
  OPS[$key]=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
  LAT[$key]=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
  if [ -z "${RATE[$key]}" ] || [ -z "${OPS[$key]}" ] || [ -z "${LAT[$key]}" ]; then
    fail "could not parse pgbench's output ($key): $(tail -5 "$out")"
  fi
  [ "${failed:-0}" -eq 0 ] || fail "pgbench ($key): $failed failed transactions"
  CPU[$key]=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
  echo
  echo "== PostgreSQL, $n clients ($key): pgbench -M prepared -c $n -j $((n < THREADS ? n : THREADS)) -T $secs"
  printf '  %s inserts, %.0f/s; latency average %s ms; server CPU %.0f us per insert\n' \
    "${OPS[$key]}" "${RATE[$key]}" "${LAT[$key]}" "$(awk -v c="${CPU[$key]}" -v o="${OPS[$key]}" 'BEGIN { print c * 1e6 / o }')"
}
domain_phase() {  # key clients set seconds
  local key=$1 n=$2 out="$work/domain-$1.txt" line
  timeout $(($4 + 60)) "$BENCH" --domain-appends "$data" --actor "$cw_id" --role caseworker \
    --cases "$(set_of "$3")" --submitters "$n" --seconds "$4" >"$out" 2>&1 ||
    fail "caseledger_bench --domain-appends ($key): $(tail -3 "$out")"
  line=$(grep '^domain-appends ' "$out") || fail "no summary line from caseledger_bench ($key)"
  RATE[$key]=$(field per_s "$line")
  OPS[$key]=$(field events "$line")
  CPU[$key]=$(awk -v u="$(field cpu_us "$line")" -v o="${OPS[$key]}" 'BEGIN { printf "%.3f", u * o / 1e6 }')
  LAT[$key]="p50 $(awk -v u="$(field p50_us "$line")" 'BEGIN { printf "%.2f", u / 1000 }') ms, p99 $(awk -v u="$(field p99_us "$line")" 'BEGIN { printf "%.2f", u / 1000 }') ms"
  echo
  echo "== caseledger domain appends, $n submitters ($key): caseledger_bench --domain-appends"
  grep -v '^domain-appends ' "$out" | sed 's/^/  /'
}
http_phase() {  # key clients set seconds
  local key=$1 n=$2 out="$work/wrk-$1.txt" t c0 c1 other non2xx sock
  t=$((n < THREADS ? n : THREADS))
  start_server
  c0=$(server_cpu)
  CL_MODE=append CL_TOKEN=$cw_tok CL_CASES=$(set_of "$3") \
    timeout $(($4 + 30)) wrk -t"$t" -c"$n" -d"$4s" --latency -s "$LUA" "http://127.0.0.1:$port" \
    >"$out" 2>&1 || fail "wrk ($key): $(tail -3 "$out")"
  c1=$(server_cpu)
  stop_server
  if grep -q 'caseledger.lua:' "$out"; then fail "$key: the wrk script failed: $(grep -m1 'caseledger.lua:' "$out")"; fi
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  sock=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
  other=$(awk '$1 == "status" && $2 != 201 { n += $3 } END { print n + 0 }' "$out")
  [ "$(( ${non2xx:-0} + ${sock:-0} + other ))" -eq 0 ] ||
    fail "wrk ($key): not every request got 201 (non-2xx ${non2xx:-0}, socket errors ${sock:-0}, other statuses $other)"
  RATE[$key]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  OPS[$key]=$(awk '/requests in/ { print $1 }' "$out")
  if [ -z "${RATE[$key]}" ] || [ -z "${OPS[$key]}" ]; then fail "could not parse wrk's output ($key)"; fi
  CPU[$key]=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
  LAT[$key]="p50 $(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")") ms, p99 $(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")") ms"
  echo
  echo "== caseledger HTTP appends, $n connections ($key): wrk -t$t -c$n -d$4s, POST /v1/cases/{c}/events"
  printf '  %s requests, %.0f/s, all 201; latency %s; server CPU %.0f us per request\n' \
    "${OPS[$key]}" "${RATE[$key]}" "${LAT[$key]}" "$(awk -v c="${CPU[$key]}" -v o="${OPS[$key]}" 'BEGIN { print c * 1e6 / o }')"
}

# The disk's own durable-write latency before each client count and at the end.
declare -A DISK
i=0
for n in "${clients[@]}"; do
  DISK[$i]=$(fsync_probe)
  pg_phase "pg$n-a" "$n" "$half"
  domain_phase "domain$n-a" "$n" $((3 * i)) "$half"
  http_phase "http$n" "$n" $((3 * i + 1)) $((2 * half))
  domain_phase "domain$n-b" "$n" $((3 * i + 2)) "$half"
  pg_phase "pg$n-b" "$n" "$half"
  i=$((i + 1))
done
DISK[$i]=$(fsync_probe)

# --- checks --------------------------------------------------------------------
echo
verify_out=$(timeout 120 "$BIN" verify --data "$data" 2>&1) || fail "verify: $verify_out"
echo "verify: $verify_out"
pg_expected=0
for n in "${clients[@]}"; do pg_expected=$((pg_expected + ${OPS[pg$n-a]} + ${OPS[pg$n-b]})); done
read -r pg_rows pg_row_bytes < <(psql_q "SELECT count(*), round(avg(pg_column_size(e.*))) FROM events e" | tr '|' ' ')
[ "$pg_rows" -eq "$pg_expected" ] || fail "PostgreSQL holds $pg_rows rows, pgbench counted $pg_expected inserts"
echo "PostgreSQL: $pg_rows rows, as pgbench counted; mean row $pg_row_bytes bytes (pg_column_size) beside the ${#sample}-byte stored line"

# --- table ---------------------------------------------------------------------
# Rates: PostgreSQL and domain the mean of their two halves (equal lengths);
# CPU per append: the CPU of all of a side's phases over all of its appends.
mean2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a + b) / 2 }'; }
per_op() { awk -v c="$1" -v o="$2" 'BEGIN { printf "%.0f", o ? c * 1e6 / o : 0 }'; }
echo
echo "== caseledger / PostgreSQL, appends per second ($(( $(date +%s) - start )) s; load average (1 min) at end: $(cut -d' ' -f1 /proc/loadavg))"
printf '  %7s %12s %12s %12s %9s %9s   %s\n' clients "PostgreSQL" domain HTTP "domain/PG" "HTTP/PG" "CPU us per append: PG server, domain, HTTP server"
lines=()
notes=()
declare -A PG DOM HTTP
i=0
for n in "${clients[@]}"; do
  PG[$n]=$(mean2 "${RATE[pg$n-a]}" "${RATE[pg$n-b]}")
  DOM[$n]=$(mean2 "${RATE[domain$n-a]}" "${RATE[domain$n-b]}")
  HTTP[$n]=$(awk -v r="${RATE[http$n]}" 'BEGIN { printf "%.1f", r }')
  rd=$(awk -v a="${DOM[$n]}" -v b="${PG[$n]}" 'BEGIN { printf "%.2f", a / b }')
  rh=$(awk -v a="${HTTP[$n]}" -v b="${PG[$n]}" 'BEGIN { printf "%.2f", a / b }')
  cpg=$(per_op "$(awk -v a="${CPU[pg$n-a]}" -v b="${CPU[pg$n-b]}" 'BEGIN { print a + b }')" "$(( ${OPS[pg$n-a]} + ${OPS[pg$n-b]} ))")
  cdom=$(per_op "$(awk -v a="${CPU[domain$n-a]}" -v b="${CPU[domain$n-b]}" 'BEGIN { print a + b }')" "$(( ${OPS[domain$n-a]} + ${OPS[domain$n-b]} ))")
  chttp=$(per_op "${CPU[http$n]}" "${OPS[http$n]}")
  printf '  %7s %12.0f %12.0f %12.0f %9s %9s   %s, %s, %s\n' "$n" "${PG[$n]}" "${DOM[$n]}" "${HTTP[$n]}" "$rd" "$rh" "$cpg" "$cdom" "$chttp"
  # Steady: the two halves of PostgreSQL and of domain within 25 % of each
  # other and the disk's latency within 2x between the row's two probes.
  steady=$(awk -v p1="${RATE[pg$n-a]}" -v p2="${RATE[pg$n-b]}" -v d1="${RATE[domain$n-a]}" \
    -v d2="${RATE[domain$n-b]}" -v f1="${DISK[$i]}" -v f2="${DISK[$((i + 1))]}" '
    function off(a, b, r) { return a <= 0 || b <= 0 || a > r * b || b > r * a }
    BEGIN { print (off(p1, p2, 1.25) || off(d1, d2, 1.25) || off(f1, f2, 2) ? "no" : "yes") }')
  lines+=("pg-compare clients=$n pg_per_s=${PG[$n]} domain_per_s=${DOM[$n]} http_per_s=${HTTP[$n]} domain_ratio=$rd http_ratio=$rh pg_cpu_us=$cpg domain_cpu_us=$cdom http_cpu_us=$chttp pg_halves=$(printf '%.1f' "${RATE[pg$n-a]}"),$(printf '%.1f' "${RATE[pg$n-b]}") domain_halves=${RATE[domain$n-a]},${RATE[domain$n-b]} disk_us=${DISK[$i]},${DISK[$((i + 1))]} steady=$steady")
  notes+=("  at $n: PostgreSQL $(printf '%.0f' "${RATE[pg$n-a]}") then $(printf '%.0f' "${RATE[pg$n-b]}")/s, domain $(printf '%.0f' "${RATE[domain$n-a]}") then $(printf '%.0f' "${RATE[domain$n-b]}")/s; disk ${DISK[$i]} then ${DISK[$((i + 1))]} us$([ "$steady" = yes ] || echo "   NOT STEADY: the disk or the load changed during this row; run again")")
  i=$((i + 1))
done
echo "  (PostgreSQL and domain: mean of the two halves; PostgreSQL CPU: the postmaster and its backends and"
echo "   background processes, not pgbench; domain CPU: the whole bench process; HTTP CPU: the server, not wrk)"
echo "  halves (PostgreSQL and domain, first then second) and the disk (a 1 KiB append + O_DSYNC, dd,"
echo "  same dir, before and after the row); steady: halves within 25 %, disk within 2x:"
printf '%s\n' "${notes[@]}"
if [ -n "${PG[64]:-}" ]; then
  echo
  awk -v h="${HTTP[64]}" -v d="${DOM[64]}" -v p="${PG[64]}" 'BEGIN {
    printf "  targets of issue 20 at 64 clients: HTTP/PG %.2f, target >= 1.00, %s; domain/PG %.2f, target >= 2.00, %s\n",
      h / p, (h / p >= 1.0 ? "PASS" : "MISS"), d / p, (d / p >= 2.0 ? "PASS" : "MISS") }'
fi
echo
printf '%s\n' "${lines[@]}"
