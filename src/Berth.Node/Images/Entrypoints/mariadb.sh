#!/bin/sh
# Berth's emulation of the official mariadb/mysql images' docker-entrypoint.sh over the host's MariaDB:
# an empty datadir is initialised with MYSQL_ROOT_PASSWORD (or MARIADB_*), MYSQL_DATABASE, MYSQL_USER and
# MYSQL_PASSWORD through a private server without networking, then the real server runs as the mysql user.
set -eu
if [ "${1#-}" != "$1" ]; then
    set -- mariadbd "$@"
fi
case "$1" in mysqld|mariadbd) shift; set -- /usr/sbin/mariadbd "$@" ;; esac
case "${1:-}" in
    */mariadbd) server=1 ;;
    *) server=0 ;;
esac
if [ "$server" = 1 ] && [ "$(id -u)" = 0 ]; then
    mkdir -p /var/lib/mysql /run/mysqld
    chown -R mysql:mysql /var/lib/mysql /run/mysqld
    exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi

root_password="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
allow_empty="${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
database="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
user="${MARIADB_USER:-${MYSQL_USER:-}}"
password="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"
datadir=/var/lib/mysql

if [ "$server" = 1 ] && [ ! -d "$datadir/mysql" ]; then
    if [ -z "$root_password" ] && [ -z "$allow_empty" ]; then
        echo "error: database is uninitialized and password option is not specified" >&2
        echo "  You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD" >&2
        exit 1
    fi
    mariadb-install-db --datadir="$datadir" --skip-test-db --auth-root-authentication-method=normal \
        --skip-name-resolve >&2
    sock=/run/mysqld/init.sock
    "$1" --datadir="$datadir" --skip-networking --socket="$sock" &
    pid=$!
    i=0
    until mariadb --protocol=socket --socket="$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt 300 ]; then echo "error: init server did not start" >&2; exit 1; fi
        sleep 0.1
    done
    esc_root=$(printf '%s' "$root_password" | sed "s/'/''/g")
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "DELETE FROM mysql.user WHERE user NOT IN ('mysql.sys', 'mariadb.sys', 'mysql', 'root') OR host NOT IN ('localhost');"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$esc_root';"
        echo "CREATE USER 'root'@'%' IDENTIFIED BY '$esc_root';"
        echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
        if [ -n "$database" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$database\`;"; fi
        if [ -n "$user" ] && [ -n "$password" ]; then
            esc_pw=$(printf '%s' "$password" | sed "s/'/''/g")
            echo "CREATE USER '$user'@'%' IDENTIFIED BY '$esc_pw';"
            if [ -n "$database" ]; then echo "GRANT ALL ON \`$database\`.* TO '$user'@'%';"; fi
        fi
        echo "FLUSH PRIVILEGES;"
    } | mariadb --protocol=socket --socket="$sock" -uroot >&2
    if [ -d /docker-entrypoint-initdb.d ]; then
        for f in /docker-entrypoint-initdb.d/*; do
            case "$f" in
                *.sh) . "$f" ;;
                *.sql) mariadb --protocol=socket --socket="$sock" -uroot -p"$root_password" ${database:+"$database"} < "$f" >&2 ;;
                *) ;;
            esac
        done
    fi
    kill "$pid"
    wait "$pid" || :
    echo "MariaDB init process done. Ready for start up." >&2
fi

if [ "$server" = 1 ]; then
    shift
    exec /usr/sbin/mariadbd --datadir="$datadir" --bind-address=0.0.0.0 --socket=/run/mysqld/mysqld.sock "$@"
fi
exec "$@"
