#!/usr/bin/env bash
# A bundle exported from a demo log of about 10^4 events verifies with the
# independent Python verifier (tools/verify_bundle.py, written from the specs);
# tampered, incomplete and foreign-key copies get its distinct exit codes.
set -euo pipefail
bin="$1"
src="$(cd "$(dirname "$0")/../.." && pwd)"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" demo --data "$tmp/data" --cases 2000 >/dev/null
"$bin" export-bundle --data "$tmp/data" --out "$tmp/b" >/dev/null
n=$(wc -l < "$tmp/b/events.jsonl")
echo "bundle of $n events"
[ "$n" -ge 10000 ] || { echo "expected at least 10^4 events"; exit 1; }

expect() {  # expect CODE DIR [ARGS]
  local want=$1 dir=$2; shift 2
  set +e; out=$("$py" "$src/tools/verify_bundle.py" "$dir" "$@"); got=$?; set -e
  echo "  $out (exit $got)"
  [ "$got" -eq "$want" ] || { echo "FAIL: expected exit $want"; exit 1; }
}
echo "untouched bundle:"; expect 0 "$tmp/b"
expect 0 "$tmp/b" --key "$(cat "$tmp/data/ledger.pub")"

cp -r "$tmp/b" "$tmp/t"
sed -i '5000s/"seq":5000/"seq":5001/' "$tmp/t/events.jsonl"
echo "altered event 5000:"; expect 1 "$tmp/t"

cp -r "$tmp/b" "$tmp/i"
head -n 9000 "$tmp/b/events.jsonl" > "$tmp/i/events.jsonl"
echo "tail removed:"; expect 2 "$tmp/i"

echo "foreign trusted key:"; expect 3 "$tmp/b" --key "other.invalid+00000000+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
echo "PASS"
