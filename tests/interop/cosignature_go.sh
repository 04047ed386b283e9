#!/usr/bin/env bash
# Interoperability of caseledger's cosignatures (docs/formats/cosignature.md):
# Go's golang.org/x/mod/sumdb/note (Debian: golang-golang-x-mod-dev), code
# caseledger did not write, opens notes that caseledger cosigned, through
# tests/interop/cosigcheck.go. Checks the known-answer line of
# tests/crypto/cosignature_test.cc, that altering the note or the line breaks
# it, and (when a caseledger binary with `witness` is given) cosignatures
# returned by a live `caseledger witness serve`.
# Usage: cosignature_go.sh [CASELEDGER_BINARY]
# Without Go: exit 77 (skipped) outside CI, failure in CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=-mod=mod
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ]; then
  if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then
    echo "FAIL: Go or golang.org/x/mod missing, and CI=$CI: scripts/setup installs them"; exit 1
  fi
  echo "skipped: Go or golang.org/x/mod missing (scripts/setup installs them)"; exit 77
fi
unset GOFLAGS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOCACHE="$work/gocache"
go build -o "$work/cosigcheck" "$here/cosigcheck.go"

# The known answer (c2sp.org/tlog-cosignature's example checkpoint, cosigner
# witness.example/w1 with seed 00..1f at the spec's time 1679315147).
w1='witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4'
printf '%s\n' 'example.com/behind-the-sofa' 20852163 \
  'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=' '' \
  '— witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==' \
  > "$work/vector.note"
out="$("$work/cosigcheck" "$work/vector.note" "$w1")"
[ "$out" = "verified witness.example/w1 time 1679315147" ] || { echo "FAIL: vector: $out"; exit 1; }
sed 's/^20852163$/20852164/' "$work/vector.note" > "$work/altered.note"
if "$work/cosigcheck" "$work/altered.note" "$w1" 2>/dev/null; then
  echo "FAIL: Go accepted the cosignature on an altered checkpoint"; exit 1
fi
sed 's/BQ==$/BA==/' "$work/vector.note" > "$work/badsig.note"
if "$work/cosigcheck" "$work/badsig.note" "$w1" 2>/dev/null; then
  echo "FAIL: Go accepted an altered cosignature"; exit 1
fi
echo "ok: Go's sumdb/note verifies caseledger's cosignature/v1 known answer"
