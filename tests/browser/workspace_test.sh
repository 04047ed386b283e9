#!/usr/bin/env bash
# The web workspace in headless Chromium (issue 17; tests/browser/workspace.mjs):
# a demo data dir, a caseworker's token, `caseledger serve` on a free port,
# then the browser walk in Danish and in English with axe-core on every page.
# Usage: workspace_test.sh CASELEDGER_BINARY SCREENSHOT_DIR
# Needs Chromium and the npm packages of this folder (scripts/setup installs
# both). Without them: exit 77 (skipped) outside CI, failure in CI.
set -euo pipefail
bin="$1"
shots="$2"
here="$(cd "$(dirname "$0")" && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
missing=""
[ -x "$chromium" ] || missing="chromium"
[ -d "$here/node_modules/playwright-core" ] || missing="$missing playwright-core (npm ci in tests/browser)"
if [ -n "$missing" ]; then
  if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then
    echo "FAIL: missing $missing, and CI=$CI: scripts/setup installs them"; exit 1
  fi
  echo "skipped: missing $missing (scripts/setup installs them)"; exit 77
fi

tmp=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export CASELEDGER_DEMO=1
"$bin" demo --data "$tmp/data" --cases 20 >/dev/null
read -r cw_user token < <("$bin" user token --data "$tmp/data" --role caseworker --quiet)
read -r _user co_token < <("$bin" user token --data "$tmp/data" --role coordinator --quiet)
# The case walk's other roles: the caseworker signed in above
# is assigned; a second coordinator approves; a legal reviewer reviews.
co2_user="$("$bin" user list --data "$tmp/data" | awk '$2 == "coordinator" && $3 == "active" { n++ } n == 2 { print $1; exit }')"
read -r _user co2_token < <("$bin" user token --data "$tmp/data" --user "$co2_user" --quiet)
read -r _user lr_token < <("$bin" user token --data "$tmp/data" --role legal_reviewer --quiet)
read -r _user aud_token < <("$bin" user token --data "$tmp/data" --role auditor --quiet)
read -r _user dpo_token < <("$bin" user token --data "$tmp/data" --role dpo --quiet)
"$bin" serve --data "$tmp/data" --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
server=$!
for _ in $(seq 100); do
  grep -q "listening on" "$tmp/out" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out")
[ -n "$port" ] || { echo "FAIL: the server did not start"; cat "$tmp/err"; exit 1; }
rm -rf "$shots"
CW_USER="$cw_user" CO2_TOKEN="$co2_token" LR_TOKEN="$lr_token" AUD_TOKEN="$aud_token" DPO_TOKEN="$dpo_token" CHROMIUM="$chromium" node "$here/workspace.mjs" "http://127.0.0.1:$port" "$token" "$shots" "$co_token"
# No personal data in the server's log (one line per request): neither the
# walk's typed persons nor the demo set's names and CPR numbers.
if grep -Pq 'Testperson|\b\d{6}-?\d{4}\b' "$tmp/err"; then
  echo "FAIL: the server log holds personal data"; exit 1
fi
