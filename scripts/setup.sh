#!/usr/bin/env bash
# Installs what openrds needs on a fresh Debian 12 machine, only what is missing:
# MariaDB (server, backup, client), zstd, xfsprogs, openssl, PostgreSQL and chromium through apt, then the npm
# dependencies, then the web console bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server mariadb-client)
command -v mariadb-backup >/dev/null 2>&1 || need_apt+=(mariadb-backup)
command -v zstd >/dev/null 2>&1 || need_apt+=(zstd)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# HA endpoints are kernel DNAT rules (nftables); moving one forgets old flows (conntrack).
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need_apt+=(nftables)
command -v conntrack >/dev/null 2>&1 || [ -x /usr/sbin/conntrack ] || need_apt+=(conntrack)
# Disk limits: a loop-mounted XFS image per node, grown online with xfs_growfs (docs/storage.md).
[ -x /usr/sbin/mkfs.xfs ] || [ -x /sbin/mkfs.xfs ] || need_apt+=(xfsprogs)
# HTTPS (serve --tls-listen): the home's local CA and server certificate are made with openssl.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# PostgreSQL: the store's tests start scratch clusters of their own (test/support/postgres.ts) on
# free ports; `serve` uses one only when given a store URL. The package's default cluster `main`
# would be a system service on 5432 that nothing here needs, so a fresh install does not create it
# (an existing installation and its clusters are left as they are).
# The web console's browser tests (test/integration/console.test.ts) and bench:console drive Debian's
# chromium through playwright-core.
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
pg_new=0
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { need_apt+=(postgresql); pg_new=1; }
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  if [ "$pg_new" = 1 ]; then
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.d/openrds.conf >/dev/null
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
# The web console's bundle (src/console/build.ts); serve rebuilds it too when it is missing or stale.
node --import tsx src/console/build.ts >&2
