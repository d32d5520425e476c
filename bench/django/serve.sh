#!/usr/bin/env bash
# Serves the Django Channels baseline on Daphne, for the benchmarks.
#
#   bench/django/serve.sh HOST:PORT
#
# Makes a virtualenv on first use (${AQUEDUCT_DJANGO_VENV:-target/django-venv},
# relative to the repository root) with the pinned requirements, starts
# Daphne without access logs, and prints exactly `listening on HOST:PORT` on
# stdout once the port takes connections; everything else goes to stderr.
# PORT 0 picks a free port first, since Daphne cannot report the one it got.
# Daphne replaces this script (same pid), so SIGTERM stops it (and Ctrl-C).
set -euo pipefail

if [[ $# -ne 1 || $1 != *:* ]]; then
    echo "usage: $0 HOST:PORT" >&2
    exit 2
fi
host=${1%:*}
port=${1##*:}
# Daphne and bash want an IPv6 address without its brackets.
bind_host=${host#[}
bind_host=${bind_host%]}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${AQUEDUCT_DJANGO_VENV:-target/django-venv}
[[ $venv == /* ]] || venv=$root/$venv

# (Re)install when the venv is new or requirements.txt changed since.
if ! cmp -s "$here/requirements.txt" "$venv/.requirements.txt"; then
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        -r "$here/requirements.txt" >&2
    cp "$here/requirements.txt" "$venv/.requirements.txt"
fi

if [[ $port == 0 ]]; then
    # Another process may take it before Daphne binds: rare on loopback,
    # and then Daphne fails loudly.
    port=$("$venv/bin/python" -c '
import socket, sys
family, kind, _, _, addr = socket.getaddrinfo(sys.argv[1], 0, type=socket.SOCK_STREAM)[0]
with socket.socket(family, kind) as s:
    s.bind(addr)
    print(s.getsockname()[1])
' "$bind_host")
fi

port_open() {
    (exec 3<>"/dev/tcp/$bind_host/$port") 2>/dev/null
}

# Someone else listening there would answer the poll below for Daphne.
if port_open; then
    echo "$0: $host:$port is already in use" >&2
    exit 1
fi

# Announce the port once it accepts connections. This runs beside Daphne,
# detached (no zombie left under it), and gives up if Daphne dies first
# ($$ is Daphne's pid after the exec).
( (
    until port_open; do
        kill -0 $$ 2>/dev/null || exit 0
        sleep 0.1
    done
    echo "listening on $host:$port"
) & )

cd "$here"
export DJANGO_SETTINGS_MODULE=baseline.settings
# -v 0: warnings only, and no access log (Daphne logs access at -v 1 and up).
exec "$venv/bin/daphne" -v 0 -b "$bind_host" -p "$port" baseline.asgi:application >&2
