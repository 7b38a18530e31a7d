#!/usr/bin/env bash
# Memory with the ingest channel full: starts ./logpipe serve (launcher defaults plus JAVA_OPTS) on a
# fresh data directory with --min-free so large (the file system less one byte) that the journal
# pauses at once, floods it from 8 connections of the load generator for SECONDS, then prints the
# server's peak RSS, its heap (jstat) and how many records the channel holds, and stops it.
# Loopback only; bounded in time.
#
#   bench/full-channel.sh [--format json|syslog] [--seconds 25] [extra serve flags...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FORMAT=json
SECONDS_TO_RUN=25
PORT=25140
ADMIN_PORT=25180
while [[ $# -gt 0 ]]; do
  case "$1" in
    --format) FORMAT="$2"; shift 2 ;;
    --seconds) SECONDS_TO_RUN="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
source "$ROOT/bench/lib.sh"
JAR="$ROOT/benchmarks/target/benchmarks.jar"
[[ -f "$JAR" ]] || (cd "$ROOT" && mvn -B -q -DskipTests package -pl benchmarks -am)
CHRONICLE_FLAGS="$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' "$ROOT/pom.xml")"
WORK="$(mktemp -d /tmp/logpipe-full-channel-XXXXXX)"
SERVER_PID=""
GEN_PID=""
cleanup() { [[ -n "$GEN_PID" ]] && kill "$GEN_PID" 2>/dev/null; stop_pid "$SERVER_PID"; rm -rf "$WORK"; }
trap cleanup EXIT

# the whole file system less one byte: serve refuses a reserve no smaller than the file system, and some
# of it is always in use, so the journal pauses at once
MIN_FREE=$(( $(df --output=size -B1 "$WORK" | tail -1) - 1 ))
(cd "$ROOT" && exec ./logpipe serve --data "$WORK/data" --bind 127.0.0.1 --port "$PORT" --admin-port "$ADMIN_PORT" \
    --min-free "$MIN_FREE" "$@") >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_for_port "$PORT" 180
wait_for_port "$ADMIN_PORT" 30
JPID="$(java_pid_of "$SERVER_PID")"
# more records than the channel holds; the generator blocks on TCP once the server stops reading
java -Xmx1g $CHRONICLE_FLAGS -cp "$JAR" dev.logpipe.bench.load.IngestLoad --records 1500000 --connections 8 \
    --format "$FORMAT" --port "$PORT" --timeout "$SECONDS_TO_RUN" \
    --metrics-url "http://127.0.0.1:$ADMIN_PORT/metrics" --server-pid "$JPID" >"$WORK/gen.out" 2>&1 &
GEN_PID=$!
sleep "$SECONDS_TO_RUN"
echo "# $(date -u +%FT%TZ) full channel, journal paused, format $FORMAT, ${SECONDS_TO_RUN}s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '/VmHWM|VmRSS|RssAnon|RssFile/{printf "%s %d MiB  ", $1, $2/1024} END{print ""}' "/proc/$JPID/status"
jstat -gc "$JPID" | awk 'NR==2{printf "heap used %.1f MiB (old %.1f of %.1f MiB), full GCs %s\n", ($3+$4+$6+$8)/1024, $8/1024, $7/1024, $15}'
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -E '^logpipe_(channel_records|journal_state)' || true
if grep -q OutOfMemoryError "$WORK/server.log"; then echo "OutOfMemoryError in the server's log"; exit 1; fi
