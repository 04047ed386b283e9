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

# Witnesses (docs/formats/cosignature.md): the exported checkpoint carries no
# cosignature, so a quorum of a given witness is not met (4), in both; a
# quorum above the witnesses given is a usage error (64). Cosigned bundles:
# tests/e2e/cli_test.cc "witness quorum: …".
w1='witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4'
expect_bundle_both() {  # expect_bundle_both CODE DIR [ARGS]
  local want=$1 dir=$2; shift 2
  expect "$want" "$dir" "$@"
  set +e; ours=$("$bin" verify-bundle "$dir" "$@" 2>&1); got_ours=$?; set -e
  echo "  ours: $ours (exit $got_ours)"
  [ "$got_ours" -eq "$want" ] || { echo "FAIL: ours: expected exit $want"; exit 1; }
}
echo "a witness, no cosignature:"; expect_bundle_both 4 "$tmp/b" --witness "$w1"
echo "a witness, quorum 0:"; expect_bundle_both 0 "$tmp/b" --witness "$w1" --quorum 0
echo "quorum 2 of one witness:"; expect_bundle_both 64 "$tmp/b" --witness "$w1" --quorum 2

# Evidence of single events (docs/formats/evidence.md): the Python verifier
# (tools/verify_evidence.py, RFC 9162 inclusion from the spec) and ours agree.
expect_both() {  # expect_both CODE FILE [ARGS]
  local want=$1 file=$2; shift 2
  set +e
  out=$("$py" "$src/tools/verify_evidence.py" "$file" "$@"); got=$?
  ours=$("$bin" verify-evidence "$file" "$@"); got_ours=$?
  set -e
  echo "  $out (exit $got) / ours: $ours (exit $got_ours)"
  [ "$got" -eq "$want" ] && [ "$got_ours" -eq "$want" ] || { echo "FAIL: expected exit $want"; exit 1; }
}
for s in 1 2 3 4999 5000 $((n - 1)) "$n"; do
  "$bin" evidence --data "$tmp/data" --seq "$s" --out "$tmp/ev$s.json" >/dev/null
  echo "evidence of event $s:"; expect_both 0 "$tmp/ev$s.json" --key "$(cat "$tmp/data/ledger.pub")"
done
sed 's/\\"seq\\":5000,/\\"seq\\":5001,/' "$tmp/ev5000.json" > "$tmp/ev-t.json"
cmp -s "$tmp/ev5000.json" "$tmp/ev-t.json" && { echo "FAIL: the edit did not apply"; exit 1; }
echo "evidence with its event altered:"; expect_both 1 "$tmp/ev-t.json"
echo "evidence under a foreign trusted key:"
expect_both 3 "$tmp/ev5000.json" --key "other.invalid+00000000+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
echo "not evidence:"; expect_both 2 "$tmp/b/verifier.txt"

# Evidence of one disclosure: one document per step, against one checkpoint.
req=$("$bin" disclosures --data "$tmp/data" --json | "$py" -c '
import json, sys
doc = json.load(sys.stdin)
made = [d for d in doc["disclosures"] if d["made"] and d["reviews"] and d["decisions"]]
print(made[0]["request"])')
"$bin" evidence --data "$tmp/data" --disclosure "$req" --out "$tmp/disclosure.jsonl" >/dev/null
steps=$(wc -l < "$tmp/disclosure.jsonl")
echo "evidence of disclosure $req ($steps steps):"
[ "$steps" -ge 4 ] || { echo "FAIL: expected request, decision, making and review"; exit 1; }
expect_both 0 "$tmp/disclosure.jsonl" --key "$(cat "$tmp/data/ledger.pub")"
sed '2s/\\"time\\":\\"2/\\"time\\":\\"3/' "$tmp/disclosure.jsonl" > "$tmp/disclosure-t.jsonl"
cmp -s "$tmp/disclosure.jsonl" "$tmp/disclosure-t.jsonl" && { echo "FAIL: the edit did not apply"; exit 1; }
echo "its second step altered:"; expect_both 1 "$tmp/disclosure-t.jsonl"
echo "PASS"
