#!/usr/bin/env bash
# Runs every target of docs/performance.md on this machine: aqueduct against
# the no-framework baselines and Django Channels, on release builds.
#
#   bench/compare.sh [aqueduct-bench compare options, e.g. --only a,b --quick]
#
# Targets g and h (issue 8) run on Redis, by default redis://127.0.0.1:6379
# (`--redis URL` for another), against Django Channels on channels_redis;
# g also needs redis-benchmark on the PATH:
#
#   bench/compare.sh --only g,h
#
# Target b runs the chat route against two room baselines (bench-raw-room
# and bench-plain-room) and mounted in axum (bench-aqueduct-axum); target i
# runs echo over TLS against bench-raw-echo over TLS, with a self-signed
# certificate made for the run:
#
#   bench/compare.sh --only b,i
#
# Prints one JSON line per run and the final table on stderr. The first run
# also builds a Python virtualenv for Django (see bench/django/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p aqueduct-bench
exec "${CARGO_TARGET_DIR:-target}/release/aqueduct-bench" compare --repeat 5 \
    --django-cmd "bench/django/serve.sh {addr}" "$@"
