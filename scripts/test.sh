#!/usr/bin/env bash
# Runs every test: unit tests (pure logic) then integration tests (real MariaDB, real HTTP
# server on loopback, real SQLite). Integration files run one at a time: they start databases.
set -uo pipefail
cd "$(dirname "$0")/.."
node_opts=(--import tsx --test --test-reporter=spec)
rc=0
mapfile -t unit < <(find test/unit -name '*.test.ts' | sort)
mapfile -t integ < <(find test/integration -name '*.test.ts' | sort)
if [ "${1:-}" != "" ]; then unit=(); integ=("$@"); fi
if [ ${#unit[@]} -gt 0 ]; then node "${node_opts[@]}" "${unit[@]}" || rc=1; fi
if [ ${#integ[@]} -gt 0 ]; then node "${node_opts[@]}" --test-concurrency=1 "${integ[@]}" || rc=1; fi
# Leave nothing running: any database or server a failed test left behind under a test home.
pkill -9 -f -- '--defaults-file=/tmp/openrds-test-' 2>/dev/null || true
pkill -9 -f -- 'serve --home /tmp/openrds-test-' 2>/dev/null || true
rm -rf /tmp/openrds-test-* 2>/dev/null || true
exit $rc
