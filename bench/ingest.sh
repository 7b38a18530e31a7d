#!/usr/bin/env bash
# End-to-end ingest benchmark: starts a server on loopback (logpipe's `serve` on a fresh temp data
# directory, or rsyslog imtcp->omfile with a private config), runs the load generator
# (dev.logpipe.bench.load.IngestLoad in benchmarks.jar) against it, prints one line of results,
# and stops the server. Everything on 127.0.0.1; bounded in records and time.
#
#   bench/ingest.sh --records 2000000 --connections 8 [--format json|syslog] [--rate N] [--warmup N]
#                   [--target logpipe|rsyslog] [--sync-interval 100ms] [--metric NAME] [--timeout S]
#   bench/ingest.sh --protocol relp|fluent [--records 200000] [--connections 1|8] [--window N]
#                   [--batch N] [--ack-level durable|written] [--target logpipe|rsyslog] ...
#
# --rate N      pace at N records/s in all and report send-to-durable (logpipe, via a journal tail
#               and the durable counter) or send-to-file (rsyslog) latency percentiles.
# --warmup N    first send N records unpaced over the same connections count and format (not
#               measured; its line is printed as a comment), then the measured run: a warmed-up
#               server. With --rate, the journal tail starts at the journal's end. tcp only.
# --metric NAME logpipe counter that says "stored" (default: the durable-records counter).
# --protocol    tcp (default: LF-framed lines, no acks), or acknowledged ingest: relp (logpipe
#               `serve --relp-port`, or with --target rsyslog rsyslog's imrelp->omfile) or fluent
#               (Fluent Forward, `serve --fluent-port`; logpipe only). Each connection keeps at most
#               --window messages unacknowledged (relp 1024, fluent 8), fluent messages hold --batch
#               records (100); reports records/s from the first send to the last ack and ack latency.
# --ack-level   when logpipe acknowledges: durable (default, after the sync) or written.
# --thread-cpu  also print, as comment lines, the CPU each group of the server's threads used in the
#               measured run (/proc/PID/task; event loops, journal writer, compilers, GC, ...).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RECORDS=""
THREAD_CPU=""
CONNECTIONS=8
PROTOCOL=tcp
ACK_LEVEL=durable
WINDOW=""
BATCH=""
FORMAT=json
RATE=""
WARMUP=""
TARGET=logpipe
SYNC_INTERVAL=100ms
METRIC="${LOGPIPE_DURABLE_METRIC:-logpipe_durable_records_total}"
TIMEOUT=300
PORT=25140
ADMIN_PORT=25180
GEN_HEAP=4g

while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) RECORDS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --format) FORMAT="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --target) TARGET="$2"; shift 2 ;;
    --sync-interval) SYNC_INTERVAL="$2"; shift 2 ;;
    --metric) METRIC="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --protocol) PROTOCOL="$2"; shift 2 ;;
    --ack-level) ACK_LEVEL="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --admin-port) ADMIN_PORT="$2"; shift 2 ;;
    --thread-cpu) THREAD_CPU=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "ingest.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done
case "$FORMAT" in json|syslog) ;; *) echo "ingest.sh: --format must be json or syslog" >&2; exit 2 ;; esac
case "$TARGET" in logpipe|rsyslog) ;; *) echo "ingest.sh: --target must be logpipe or rsyslog" >&2; exit 2 ;; esac
case "$PROTOCOL" in tcp|relp|fluent) ;; *) echo "ingest.sh: --protocol must be tcp, relp or fluent" >&2; exit 2 ;; esac
case "$ACK_LEVEL" in durable|written) ;; *) echo "ingest.sh: --ack-level must be durable or written" >&2; exit 2 ;; esac
if [[ "$PROTOCOL" != tcp && -n "$RATE" ]]; then
  echo "ingest.sh: --rate is for --protocol tcp; relp and fluent are paced by their --window of unacknowledged messages" >&2; exit 2
fi
if [[ "$PROTOCOL" != tcp && -n "$WARMUP" ]]; then
  echo "ingest.sh: --warmup is for --protocol tcp" >&2; exit 2
fi
if [[ "$PROTOCOL" == fluent && "$TARGET" == rsyslog ]]; then
  echo "ingest.sh: rsyslog has no Fluent Forward input; --protocol fluent runs against logpipe only" >&2; exit 2
fi
if [[ "$PROTOCOL" == relp && "$TARGET" == rsyslog ]]; then
  MODS=/usr/lib/x86_64-linux-gnu/rsyslog
  if ! command -v rsyslogd >/dev/null || [[ ! -f "$MODS/imrelp.so" ]]; then
    echo "ingest.sh: --protocol relp --target rsyslog needs rsyslogd with imrelp (apt-get install rsyslog rsyslog-relp)" >&2; exit 2
  fi
fi
# Acknowledged runs are bounded by the window and the syncs, not by TCP: fewer records by default.
[[ -z "$RECORDS" ]] && { [[ "$PROTOCOL" == tcp ]] && RECORDS=2000000 || RECORDS=200000; }

# Chronicle's JVM flags, from the one place they are written down (the parent pom).
CHRONICLE_FLAGS="$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' "$ROOT/pom.xml")"

JAR="$ROOT/benchmarks/target/benchmarks.jar"
# Build benchmarks.jar from this tree (with the modules it measures, -am) when it is missing or
# older than any of their sources, so that what runs is the code checked out here.
if [[ ! -f "$JAR" ]] || [[ -n "$(find "$ROOT/pom.xml" "$ROOT/channels" "$ROOT/runtime-core" "$ROOT/file-sink" \
      "$ROOT/benchmarks" -name target -prune -o \( -name pom.xml -o -path '*/src/*' \) -type f -newer "$JAR" \
      -print -quit 2>/dev/null)" ]]; then
  echo "# building benchmarks.jar" >&2
  (cd "$ROOT" && mvn -B -q -DskipTests -pl benchmarks -am package) >&2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/logpipe-ingest-XXXXXX")"
SERVER_PID=""
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() { stop_pid "$SERVER_PID"; rm -rf "$WORK"; }
trap cleanup EXIT

GEN_ARGS=(--records "$RECORDS" --connections "$CONNECTIONS" --format "$FORMAT" --port "$PORT"
          --timeout "$TIMEOUT" --target "$TARGET" --protocol "$PROTOCOL")
[[ -n "$RATE" ]] && GEN_ARGS+=(--rate "$RATE")
[[ -n "$WINDOW" ]] && GEN_ARGS+=(--window "$WINDOW")
[[ -n "$BATCH" ]] && GEN_ARGS+=(--batch "$BATCH")

if [[ "$TARGET" == logpipe ]]; then
  # tcp: the load goes to --port; relp/fluent: to that protocol's listener on PORT (TCP ingest on any free port).
  case "$PROTOCOL" in
    tcp) LISTEN=(--port "$PORT"); DESC_PROTO="" ;;
    relp) LISTEN=(--port 0 --relp-port "$PORT" --ack-level "$ACK_LEVEL"); DESC_PROTO=" --relp-port (ack $ACK_LEVEL)" ;;
    fluent) LISTEN=(--port 0 --fluent-port "$PORT" --ack-level "$ACK_LEVEL"); DESC_PROTO=" --fluent-port (ack $ACK_LEVEL)" ;;
  esac
  (cd "$ROOT" && exec ./logpipe serve --data "$WORK/data" --bind 127.0.0.1 "${LISTEN[@]}" \
      --admin-port "$ADMIN_PORT" --sync-interval "$SYNC_INTERVAL") >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port "$PORT" 180
  wait_for_port "$ADMIN_PORT" 30
  JPID="$(java_pid_of "$SERVER_PID")"
  PROBE_ARGS=(--metrics-url "http://127.0.0.1:$ADMIN_PORT/metrics" --metric "$METRIC" --server-pid "$JPID")
  [[ -n "$RATE" ]] && GEN_ARGS+=(--journal "$WORK/data")
  DESC="logpipe serve$DESC_PROTO --sync-interval $SYNC_INTERVAL${JAVA_OPTS:+ (JAVA_OPTS=$JAVA_OPTS)}"
elif [[ "$PROTOCOL" == relp ]]; then
  mkdir -p "$WORK/rsyslog"
  cat >"$WORK/rsyslog.conf" <<CONF
# Private rsyslog for the benchmark: RELP in on loopback (imrelp acknowledges once the message is
# enqueued), every message's raw text as one line of a file.
global(workDirectory="$WORK/rsyslog" maxMessageSize="64k")
module(load="imrelp")
template(name="rawline" type="string" string="%rawmsg%\n")
ruleset(name="bench") {
  action(type="omfile" file="$WORK/out.log" template="rawline")
}
input(type="imrelp" address="127.0.0.1" port="$PORT" ruleset="bench")
CONF
  rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port "$PORT" 30
  JPID="$SERVER_PID"
  PROBE_ARGS=(--count-lines "$WORK/out.log" --server-pid "$SERVER_PID")
  DESC="$(rsyslogd -v | head -1 | awk '{print "rsyslogd", $2}') imrelp->omfile (acks once enqueued, no fsync)"
else
  if ! command -v rsyslogd >/dev/null; then
    echo "# installing rsyslog" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog >&2
  fi
  mkdir -p "$WORK/rsyslog"
  cat >"$WORK/rsyslog.conf" <<CONF
# Private rsyslog for the benchmark: TCP in on loopback, every message's raw text as one line of a file.
global(workDirectory="$WORK/rsyslog" maxMessageSize="64k")
module(load="imtcp")
template(name="rawline" type="string" string="%rawmsg%\n")
ruleset(name="bench") {
  action(type="omfile" file="$WORK/out.log" template="rawline")
}
input(type="imtcp" address="127.0.0.1" port="$PORT" ruleset="bench")
CONF
  rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port "$PORT" 30
  JPID="$SERVER_PID"
  PROBE_ARGS=(--count-lines "$WORK/out.log" --server-pid "$SERVER_PID")
  DESC="$(rsyslogd -v | head -1 | awk '{print "rsyslogd", $2}') imtcp->omfile (no fsync)"
fi

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(java -version 2>&1 | head -1)$([[ "$TARGET" == logpipe && -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] \
        && echo " (the server's, from JAVA_HOME: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1))");" \
     "server: $DESC; load: $(cut -d' ' -f1-3 /proc/loadavg)"
GEN_ARGS+=("${PROBE_ARGS[@]}")
set +e
if [[ -n "$WARMUP" ]]; then
  WARM_OUT="$(java -Xms1g -Xmx"$GEN_HEAP" $CHRONICLE_FLAGS -cp "$JAR" dev.logpipe.bench.load.IngestLoad \
      --records "$WARMUP" --connections "$CONNECTIONS" --format "$FORMAT" --port "$PORT" --timeout "$TIMEOUT" \
      --target "$TARGET" --protocol tcp "${PROBE_ARGS[@]}")"
  RC=$?
  echo "# warm-up: $WARM_OUT"
  if [[ $RC -ne 0 ]]; then
    echo "# warm-up failed (exit $RC); server log tail:" >&2; tail -20 "$WORK/server.log" >&2; exit $RC
  fi
fi
[[ -n "${THREAD_CPU:-}" ]] && thread_ticks "$JPID" >"$WORK/ticks.before"
java -Xms1g -Xmx"$GEN_HEAP" $CHRONICLE_FLAGS -cp "$JAR" dev.logpipe.bench.load.IngestLoad "${GEN_ARGS[@]}"
RC=$?
if [[ -n "${THREAD_CPU:-}" ]]; then
  thread_ticks "$JPID" >"$WORK/ticks.after"
  thread_cpu_report "$WORK/ticks.before" "$WORK/ticks.after"
fi
set -e
if [[ $RC -ne 0 ]]; then
  echo "# generator exit $RC; server log tail:" >&2; tail -20 "$WORK/server.log" >&2
fi
exit $RC
