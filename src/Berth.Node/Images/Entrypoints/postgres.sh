#!/bin/sh
# Berth's emulation of the official postgres image's docker-entrypoint.sh over the host's PostgreSQL:
# initdb into an empty PGDATA with POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB, run /docker-entrypoint-initdb.d,
# then exec postgres as the postgres user, listening on every address of the pod.
set -eu
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
export PATH="$pgbin:$PATH"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# like the image: "docker run postgres -c x=y" means postgres with those flags
if [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 00700 "$PGDATA" || :
    chown postgres:postgres "$PGDATA" || :
    chown postgres:postgres /var/run/postgresql
    chmod 03775 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
        cat >&2 <<'EOM'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.
EOM
        exit 1
    fi
    user="${POSTGRES_USER:-postgres}"
    db="${POSTGRES_DB:-$user}"
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
    # shellcheck disable=SC2086
    initdb --username="$user" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-} >&2
    rm -f "$pwfile"
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
    # a private server on the unix socket only, as the image does, for the database and init scripts
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >&2
    if [ "$db" != postgres ]; then
        psql -v ON_ERROR_STOP=1 --username "$user" --no-password --dbname postgres \
            -c "CREATE DATABASE \"$db\";" >&2
    fi
    if [ -d /docker-entrypoint-initdb.d ]; then
        for f in /docker-entrypoint-initdb.d/*; do
            case "$f" in
                *.sh) echo "running $f" >&2; . "$f" ;;
                *.sql) echo "running $f" >&2; psql -v ON_ERROR_STOP=1 --username "$user" --no-password --dbname "$db" -f "$f" >&2 ;;
                *) ;;
            esac
        done
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop >&2
    echo "PostgreSQL init process complete; ready for start up." >&2
fi

exec "$@"
