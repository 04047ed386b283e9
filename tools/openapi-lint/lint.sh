#!/usr/bin/env bash
# docs/api/openapi.yaml lints clean (no error, no warning) under Redocly CLI,
# pinned by package-lock.json here and installed by scripts/setup (npm ci).
# Exit 77 (skip) when the linter is not installed, except in CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
if [ ! -x "$here/node_modules/.bin/redocly" ]; then
  if [ -n "${CI:-}" ]; then echo "the OpenAPI linter is not installed (scripts/setup)"; exit 1; fi
  echo "the OpenAPI linter is not installed (scripts/setup): skipped"; exit 77
fi
cd "$here"
out="$(node_modules/.bin/redocly lint --format=stylish --config "$root/docs/api/redocly.yaml" \
       "$root/docs/api/openapi.yaml" 2>&1)" || { echo "$out"; exit 1; }
echo "$out" | grep -v '║\|╔\|╚'
# Warnings do not fail redocly's exit code: none is allowed here.
if echo "$out" | grep -qE 'You have [0-9]+ warnings?'; then
  exit 1
fi
