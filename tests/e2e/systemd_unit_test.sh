#!/usr/bin/env bash
# deploy/systemd/caseledger.service is a unit systemd accepts, pointing at the
# binary under test. Exit 77 (skip) without systemd-analyze.
set -euo pipefail
binary="$1"
unit_src="$(dirname "$0")/../../deploy/systemd/caseledger.service"
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/caseledger|$binary|" "$unit_src" > "$work/caseledger.service"
out="$(systemd-analyze verify "$work/caseledger.service" 2>&1)" || { echo "$out"; exit 1; }
# systemd-analyze warns without failing for unknown settings: none allowed.
if [ -n "$out" ]; then echo "$out"; exit 1; fi
# It restarts after a failure (exit 74 included), never after a clean stop.
grep -qx 'Restart=on-failure' "$unit_src"
grep -qx 'LimitCORE=0' "$unit_src"
echo "unit verified"
