#!/usr/bin/env bash
# The README's first command, run as a user would (CI runs this after the
# test suite, not CTest: scripts/run builds, which must not happen inside a
# test run): scripts/run on a fresh data dir and a free port must write the
# demo, verify it, print a token per role and the workspace's sign-in URL,
# and serve the API and the workspace until it is stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
run=""
cleanup() {
  if [ -n "$run" ]; then kill -TERM -- "-$run" 2>/dev/null || true; wait "$run" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CASELEDGER_DATA="$tmp/data" CASELEDGER_DEMO_CASES=20 CASELEDGER_LISTEN="127.0.0.1:$port" \
  setsid scripts/run >"$tmp/out" 2>"$tmp/err" &
run=$!
for _ in $(seq 600); do
  grep -q "Stop with Ctrl-C" "$tmp/out" 2>/dev/null && break
  kill -0 "$run" 2>/dev/null || { echo "FAIL: scripts/run stopped"; tail -n 20 "$tmp/out" "$tmp/err"; exit 1; }
  sleep 0.5
done
grep -q "Stop with Ctrl-C" "$tmp/out" || { echo "FAIL: scripts/run did not come up"; tail -n 20 "$tmp/out" "$tmp/err"; exit 1; }
for role in caseworker coordinator legal_reviewer auditor dpo; do
  grep -Eq "^  $role +u-[a-z0-9]+  clt1_" "$tmp/out" || { echo "FAIL: no token printed for $role"; exit 1; }
done
grep -q "http://127.0.0.1:$port/ui/signin" "$tmp/out" || { echo "FAIL: the workspace's URL is not printed"; exit 1; }
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { echo "FAIL: /healthz"; exit 1; }
curl -fs "http://127.0.0.1:$port/ui/signin" | grep -q 'name="token"' || { echo "FAIL: the sign-in page"; exit 1; }
# A printed token signs in to the workspace.
token=$(awk '$1 == "coordinator" { print $3; exit }' "$tmp/out")
code=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "token=$token" -d lang=da "http://127.0.0.1:$port/ui/signin")
[ "$code" = 303 ] || { echo "FAIL: the printed coordinator token does not sign in ($code)"; exit 1; }
# The two demo witnesses cosign: the served checkpoint carries both lines.
auditor=$(awk '$1 == "auditor" { print $3; exit }' "$tmp/out")
for _ in $(seq 100); do
  curl -fs -H "Authorization: Bearer $auditor" "http://127.0.0.1:$port/v1/log/checkpoint" >"$tmp/cp" 2>/dev/null &&
    [ "$(grep -c '^— witness-[12]\.demo\.invalid ' "$tmp/cp")" = 2 ] && break
  sleep 0.2
done
[ "$(grep -c '^— witness-[12]\.demo\.invalid ' "$tmp/cp" 2>/dev/null)" = 2 ] ||
  { echo "FAIL: the served checkpoint is not cosigned by both demo witnesses"; cat "$tmp/cp"; exit 1; }
echo "ok: scripts/run serves the demo, prints a token per role and the workspace's URL; both demo witnesses cosign"
