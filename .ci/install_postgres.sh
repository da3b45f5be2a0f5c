#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries for the leaderboard's PostgreSQL tests (idempotent).
# The tests start their own throwaway cluster with initdb / pg_ctl from /usr/lib/postgresql/<version>/bin (not on
# PATH on Debian); as root they run them as the `postgres` user the package creates. No service is started here.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

have_server() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && id postgres >/dev/null 2>&1; }

if ! have_server; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install_postgres.sh: PostgreSQL is missing and installing it needs root (apt-get install postgresql)" >&2
    exit 1
  fi
  apt-get update -qq
  # policy-rc.d keeps the package from starting its own cluster service (the tests start theirs)
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT  # removed even when apt-get fails
  fi
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
have_server
initdb=$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1)
echo "install_postgres.sh: $("$initdb" --version) at $(dirname "$initdb")"
