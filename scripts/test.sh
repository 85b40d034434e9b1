#!/usr/bin/env bash
# Runs every test: the type check (tsc --noEmit), unit tests (pure logic), then integration
# tests (real MariaDB, real HTTP server on loopback, real SQLite and PostgreSQL). Integration files run
# OPENRDS_TEST_CONCURRENCY at a time (default 3): each file has its own home, its own random
# 127.a.b.0/24, its own nftables table, volumes and cgroups, so they share no kernel state.
set -uo pipefail
cd "$(dirname "$0")/.."
# Every test file is bounded (OPENRDS_TEST_TIMEOUT_MS, default 20 min: Node 20's --test-timeout
# applies to a whole file, hooks included): a hang fails that file by name instead of silently
# using up CI's 90 minutes while the reporter holds back the later files' output, and a file whose
# tests are done exits even if a handle was left open.
node_opts=(--import tsx --test --test-reporter=spec --test-force-exit --test-timeout="${OPENRDS_TEST_TIMEOUT_MS:-1200000}")
# Test homes are /tmp/openrds-test-<run>-…; cleanup below touches only this run's.
export OPENRDS_TEST_RUN="${OPENRDS_TEST_RUN:-r$$}"
prefix="/tmp/openrds-test-${OPENRDS_TEST_RUN}-"
rc=0
mapfile -t unit < <(find test/unit -name '*.test.ts' | sort)
mapfile -t integ < <(find test/integration -name '*.test.ts' | sort)
if [ "${1:-}" != "" ]; then unit=(); integ=("$@"); fi
jobs="${OPENRDS_TEST_CONCURRENCY:-3}"
if [ "${1:-}" = "" ]; then
  echo "typecheck: tsc --noEmit" >&2
  node node_modules/typescript/bin/tsc --noEmit -p . || rc=1
fi
if [ ${#unit[@]} -gt 0 ]; then node "${node_opts[@]}" "${unit[@]}" || rc=1; fi
if [ ${#integ[@]} -gt 0 ]; then node "${node_opts[@]}" --test-concurrency="$jobs" "${integ[@]}" || rc=1; fi
# Leave nothing running: any database or server a failed test left behind under a test home.
pkill -9 -f -- "--defaults-file=${prefix}" 2>/dev/null || true
pkill -9 -f -- "serve --home ${prefix}" 2>/dev/null || true
# Scratch PostgreSQL clusters (test/support/postgres.ts) of a test process that was killed.
pkill -9 -f -- "postgres -D ${prefix}" 2>/dev/null || true
for t in $(nft list tables 2>/dev/null | awk '/openrds_/ {print $3}'); do
  nft list table ip "$t" 2>/dev/null | grep -q "comment \"${prefix}" && nft delete table ip "$t"
done
# Data volumes (src/provisioner/local/volumes.ts): detach before removing, or rm would empty a
# mounted filesystem, fail on its mount point, and leave the loop device attached.
awk -v p="$prefix" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | xargs -r -n1 umount -l 2>/dev/null || true
rm -rf "${prefix}"* 2>/dev/null || true
# Node cgroups (src/provisioner/local/cgroups.ts) with no process left; the kernel refuses
# (EBUSY) to remove a group that still has one, so groups in use stay.
for d in /sys/fs/cgroup/memory/openrds/*/ /sys/fs/cgroup/cpu/openrds/*/ /sys/fs/cgroup/openrds/*/; do
  [ -d "$d" ] && rmdir "$d" 2>/dev/null
done
true
exit $rc
