#!/bin/sh
# Berth's emulation of the official redis image's docker-entrypoint.sh over the host's redis-server:
# flags alone mean redis-server with those flags, the server runs as the redis user in /data, and protected
# mode is off, as in the image's build of redis.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' + 2>/dev/null || :
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "$1" = redis-server ]; then
    shift
    if [ $# -gt 0 ] && [ "${1%.conf}" != "$1" ]; then
        conf="$1"
        shift
        set -- redis-server "$conf" --protected-mode no "$@"
    else
        set -- redis-server --protected-mode no "$@"
    fi
fi
exec "$@"
