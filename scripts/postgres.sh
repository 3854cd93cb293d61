#!/usr/bin/env bash
# A private PostgreSQL for the class server's tests (or a try-out), on a Unix socket in a
# folder of its own: no TCP port, no system service.
#
#   scripts/postgres.sh install      install Debian's postgresql if it is missing
#   scripts/postgres.sh start DIR    create and start a server in DIR; prints its DATABASE_URL
#   scripts/postgres.sh stop DIR     stop it (remove DIR yourself)
#
# PostgreSQL refuses to run as root, so as root it runs as the user nobody.
set -euo pipefail

bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (run: scripts/postgres.sh install)" >&2; exit 1; }
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "${1:-}" in
  install)
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
      sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    fi
    ;;
  start)
    dir=${2:?usage: postgres.sh start DIR}
    bin=$(bin_dir)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown nobody "$dir"
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U podwire --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Only the socket in DIR; fsync off, since a test database need not survive a power cut.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -p 5432 -c listen_addresses='' -c fsync=off -c full_page_writes=off" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h "$dir" -p 5432 -U podwire podwire
    echo "postgresql://podwire@localhost/podwire?host=$dir&port=5432"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *)
    sed -n '2,11p' "$0" >&2
    exit 2
    ;;
esac
