#!/usr/bin/env bash
# `caseledger serve --tls-cert F --tls-key F` end to end (issue 17;
# docs/api/server.md, "TLS"): a throw-away certificate made here with the
# openssl CLI (no private key is committed), a small demo data dir and a
# caseworker's token (issued before serve, which locks the data dir); then
#   - one flag without the other is a usage error (64) naming the other;
#   - a key that does not match the certificate, or a missing key file, stops
#     serve at start with a clear message that quotes no key material;
#   - with TLS, curl --cacert signs in to the web workspace over HTTPS and the
#     caseledger_session cookie is Secure (and still HttpOnly,
#     SameSite=Strict) and opens the home page; plain HTTP to the same port
#     gets no answer, and HTTPS still works after it;
#   - the same sign-in without TLS sets the cookie without Secure.
# Usage: tls_serve_test.sh CASELEDGER_BINARY
# Needs openssl and curl (scripts/setup installs both). Without them: exit 77
# (skipped) outside CI, failure in CI.
set -euo pipefail
bin="$1"

missing=""
command -v openssl >/dev/null 2>&1 || missing="openssl"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
if [ -n "$missing" ]; then
  if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then
    echo "FAIL: missing $missing, and CI=$CI: scripts/setup installs them"; exit 1
  fi
  echo "skipped: missing $missing (scripts/setup installs it)"; exit 77
fi

tmp=$(mktemp -d)
server=""
stop_server() {
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && sed 's/^/  server: /' "$tmp/err"; exit 1; }

# --- Certificates ----------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=caseledger e2e" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/other-key.pem" 2>/dev/null

# --- Data and a token (before serve: it holds the data dir's lock) ----------------
export CASELEDGER_DEMO=1
"$bin" demo --data "$tmp/data" --cases 5 >/dev/null
read -r _user token < <("$bin" user token --data "$tmp/data" --role caseworker --quiet)
[ -n "$token" ] || fail "no token"

# Runs serve with "$@" to its end (for start-up failures); sets rc.
serve_fails() {
  set +e
  timeout 30 "$bin" serve --data "$tmp/data" --listen 127.0.0.1:0 "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
  if grep -q "listening on" "$tmp/out"; then fail "serve $* started"; fi
}

# Starts serve with "$@" in the background; sets server and port.
start_server() {
  # Emptied before the child starts: the loop below could otherwise read an
  # earlier run's output before the child's redirection truncates it.
  : >"$tmp/out"
  "$bin" serve --data "$tmp/data" --listen 127.0.0.1:0 --retention-every 0 "$@" \
    >"$tmp/out" 2>"$tmp/err" &
  server=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$tmp/out" 2>/dev/null && break
    sleep 0.1
  done
  port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out")
  [ -n "$port" ] || fail "the server did not start (serve $*)"
}

# Signs in at $1 (the base URL) with curl options "${@:2}"; sets cookie to
# the Set-Cookie line of caseledger_session ("" if none).
sign_in() {
  local base="$1"; shift
  curl -sS "$@" -o /dev/null -D "$tmp/headers" \
    --data-urlencode "token=$token" -d lang=en "$base/ui/signin" || fail "sign-in at $base failed"
  cookie=$(grep -i '^set-cookie: caseledger_session=' "$tmp/headers" | tr -d '\r' || true)
}

# --- Usage and start-up errors ----------------------------------------------------
serve_fails --tls-cert "$tmp/cert.pem"
[ "$rc" -eq 64 ] || fail "--tls-cert alone: exit $rc, expected 64"
grep -q -- "--tls-key" "$tmp/err" || fail "--tls-cert alone: the message does not name --tls-key"

serve_fails --tls-key "$tmp/key.pem"
[ "$rc" -eq 64 ] || fail "--tls-key alone: exit $rc, expected 64"
grep -q -- "--tls-cert" "$tmp/err" || fail "--tls-key alone: the message does not name --tls-cert"

serve_fails --tls-cert "$tmp/cert.pem" --tls-key "$tmp/other-key.pem"
[ "$rc" -ne 0 ] || fail "a key that does not match the certificate: exit 0"
grep -q "does not match the certificate" "$tmp/err" ||
  fail "a key that does not match the certificate: no clear message"
if grep -q "BEGIN\|PRIVATE KEY\|$(sed -n 2p "$tmp/other-key.pem" | cut -c1-20)" "$tmp/err"; then
  fail "the message quotes the key file"
fi

serve_fails --tls-cert "$tmp/cert.pem" --tls-key "$tmp/missing.pem"
[ "$rc" -ne 0 ] || fail "a missing key file: exit 0"
grep -q "cannot read the TLS key file $tmp/missing.pem" "$tmp/err" ||
  fail "a missing key file: no clear message"

# --- HTTPS: the session cookie is Secure --------------------------------------------
start_server --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
grep -q "serving HTTPS only" "$tmp/err" || fail "serve does not say that it serves HTTPS"
https="https://127.0.0.1:$port"
sign_in "$https" --cacert "$tmp/cert.pem" --tlsv1.2
echo "over TLS: $cookie"
[ -n "$cookie" ] || fail "no caseledger_session cookie over TLS"
for attribute in Secure HttpOnly SameSite=Strict; do
  echo "$cookie" | grep -q "; $attribute\(;\|$\)" || fail "the cookie over TLS lacks $attribute"
done
value=$(echo "$cookie" | sed -n 's/^[^:]*: caseledger_session=\([^;]*\);.*/\1/p')
home=$(curl -sS --cacert "$tmp/cert.pem" -o /dev/null -w '%{http_code}' \
  -b "caseledger_session=$value" "$https/ui/home")
[ "$home" = "200" ] || fail "the home page with the TLS session: $home"

# Plain HTTP to the TLS port: no HTTP answer; the server goes on.
if curl -sS -m 5 -o /dev/null "http://127.0.0.1:$port/ui/signin" 2>/dev/null; then
  fail "plain HTTP to the TLS port got an answer"
fi
code=$(curl -sS --cacert "$tmp/cert.pem" -o /dev/null -w '%{http_code}' "$https/ui/signin")
[ "$code" = "200" ] || fail "HTTPS after a plain request: $code"
stop_server

# --- Plain HTTP: the same sign-in, no Secure ----------------------------------------
start_server
sign_in "http://127.0.0.1:$port"
echo "without TLS: $cookie"
[ -n "$cookie" ] || fail "no caseledger_session cookie without TLS"
if echo "$cookie" | grep -q "; Secure"; then fail "the cookie is Secure without TLS"; fi
stop_server
echo "ok"
