#!/usr/bin/env bash
# The Kafka forwarder's lag while `logpipe serve` ingests at full rate: starts `./logpipe serve` on a
# fresh temp data directory (loopback), the forwarding program (dev.logpipe.bench.KafkaServeLag in
# benchmarks.jar: a KRaft broker in its JVM and the forwarder API that `logpipe forward kafka` runs,
# following serve's journal from its start), then the load generator (IngestLoad, TCP, as fast as
# TCP takes it); prints the generator's line and the forwarder's line (records/s, lag p50/p99/max
# sampled every 100 ms, receive-to-Kafka-append percentiles, and whether every journal record is in
# the topic exactly once, read_committed), and stops everything. Bounded in records and time.
#
#   bench/forward-lag.sh [--records 200000] [--connections 8] [--mode exactly-once|at-least-once]
#                        [--tx-records 10000] [--sync-interval 100ms] [--timeout S]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RECORDS=200000
CONNECTIONS=8
MODE=exactly-once
TX_RECORDS=10000
SYNC_INTERVAL=100ms
TIMEOUT=300
PORT=25150
ADMIN_PORT=25190

while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) RECORDS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --mode) MODE="$2"; shift 2 ;;
    --tx-records) TX_RECORDS="$2"; shift 2 ;;
    --sync-interval) SYNC_INTERVAL="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --admin-port) ADMIN_PORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "forward-lag.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done
case "$MODE" in exactly-once|at-least-once) ;; *) echo "forward-lag.sh: --mode must be exactly-once or at-least-once" >&2; exit 2 ;; esac

CHRONICLE_FLAGS="$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' "$ROOT/pom.xml")"
JAR="$ROOT/benchmarks/target/benchmarks.jar"
if [[ ! -f "$JAR" ]] || [[ -n "$(find "$ROOT/pom.xml" "$ROOT/channels" "$ROOT/runtime-core" "$ROOT/file-sink" \
      "$ROOT/kafka-forwarder" "$ROOT/benchmarks" -name target -prune -o \( -name pom.xml -o -path '*/src/*' \) \
      -type f -newer "$JAR" -print -quit 2>/dev/null)" ]]; then
  echo "# building benchmarks.jar" >&2
  (cd "$ROOT" && mvn -B -q -DskipTests -pl benchmarks -am package) >&2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/logpipe-forward-lag-XXXXXX")"
SERVER_PID=""
FWD_PID=""
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() { stop_pid "$FWD_PID"; stop_pid "$SERVER_PID"; rm -rf "$WORK"; }
trap cleanup EXIT

(cd "$ROOT" && exec ./logpipe serve --data "$WORK/data" --bind 127.0.0.1 --port "$PORT" \
    --admin-port "$ADMIN_PORT" --sync-interval "$SYNC_INTERVAL") >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_for_port "$PORT" 180
wait_for_port "$ADMIN_PORT" 30
JPID="$(java_pid_of "$SERVER_PID")"

java -Xms512m -Xmx1g $CHRONICLE_FLAGS -cp "$JAR" dev.logpipe.bench.KafkaServeLag --data "$WORK/data" \
    --records "$RECORDS" --mode "$MODE" --tx-records "$TX_RECORDS" --timeout "$TIMEOUT" >"$WORK/forward.log" 2>&1 &
FWD_PID=$!
deadline=$((SECONDS + 120))
until grep -q '^ready' "$WORK/forward.log" 2>/dev/null; do
  if ! kill -0 "$FWD_PID" 2>/dev/null; then
    echo "forward-lag.sh: the forwarder exited before it was ready; its log:" >&2; cat "$WORK/forward.log" >&2; exit 1
  fi
  if (( SECONDS > deadline )); then echo "forward-lag.sh: the forwarder was not ready after 120 s" >&2; exit 1; fi
  sleep 0.2
done

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(java -version 2>&1 | head -1); logpipe serve --sync-interval $SYNC_INTERVAL, forwarder $MODE" \
     "tx-records $TX_RECORDS to a broker in its own JVM; load: $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
java -Xms1g -Xmx2g $CHRONICLE_FLAGS -cp "$JAR" dev.logpipe.bench.load.IngestLoad --records "$RECORDS" \
    --connections "$CONNECTIONS" --format json --port "$PORT" --timeout "$TIMEOUT" --target logpipe --protocol tcp \
    --metrics-url "http://127.0.0.1:$ADMIN_PORT/metrics" --metric logpipe_durable_records_total --server-pid "$JPID"
GEN_RC=$?
wait "$FWD_PID"
FWD_RC=$?
FWD_PID=""
set -e
grep -v '^ready' "$WORK/forward.log" | grep -E '^(forward|FAILED)' || { echo "# forwarder log:" >&2; tail -30 "$WORK/forward.log" >&2; }
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $GEN_RC -ne 0 || $FWD_RC -ne 0 ]]; then
  echo "# generator exit $GEN_RC, forwarder exit $FWD_RC; serve log tail:" >&2; tail -20 "$WORK/server.log" >&2
  exit 1
fi
