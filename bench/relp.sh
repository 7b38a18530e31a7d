#!/usr/bin/env bash
# Acknowledged-ingest benchmark: the real rsyslog daemon forwards with omrelp (window 1024 by
# default) to a RELP receiver on loopback, either logpipe (`serve --relp-port`, acks once durable by
# default) or rsyslog's own imrelp (acks once enqueued, writing to a file without fsync). Lines enter
# the sending rsyslogd through imtcp; one omrelp action (= one RELP connection) per --connections.
# Prints records/s from the first line sent to the last one acknowledged (logpipe: its acks counter;
# imrelp: the output file's line count), and logpipe's ack latency.
#
#   bench/relp.sh [--target logpipe|imrelp] [--records 200000] [--connections 1] [--window 1024]
#                 [--ack-level durable|written] [--sync-interval 100ms] [--timeout 300]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET=logpipe
RECORDS=200000
CONNECTIONS=1
WINDOW=1024
ACK_LEVEL=durable
SYNC_INTERVAL=100ms
TIMEOUT=300
IN_PORT=25514
RELP_PORT=25515
ADMIN_PORT=25580

while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) TARGET="$2"; shift 2 ;;
    --records) RECORDS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --ack-level) ACK_LEVEL="$2"; shift 2 ;;
    --sync-interval) SYNC_INTERVAL="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "relp.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done
case "$TARGET" in logpipe|imrelp) ;; *) echo "relp.sh: --target must be logpipe or imrelp" >&2; exit 2 ;; esac
MODS=/usr/lib/x86_64-linux-gnu/rsyslog
if ! command -v rsyslogd >/dev/null || [[ ! -f "$MODS/omrelp.so" || ! -f "$MODS/imrelp.so" ]]; then
  echo "relp.sh: needs rsyslogd with omrelp and imrelp (apt-get install rsyslog rsyslog-relp)" >&2; exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/logpipe-relp-XXXXXX")"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_port() { # port seconds
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    if (( SECONDS > deadline )); then echo "relp.sh: nothing listens on 127.0.0.1:$1 after $2 s" >&2; cat "$WORK"/*.log >&2; exit 1; fi
    sleep 0.2
  done
}

# The receiver.
if [[ "$TARGET" == logpipe ]]; then
  (cd "$ROOT" && exec ./logpipe serve --data "$WORK/data" --port 0 --relp-port "$RELP_PORT" \
      --admin-port "$ADMIN_PORT" --sync-interval "$SYNC_INTERVAL" --ack-level "$ACK_LEVEL") >"$WORK/server.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$RELP_PORT" 180
  wait_for_port "$ADMIN_PORT" 30
  DESC="logpipe serve --relp-port (ack $ACK_LEVEL, sync-interval $SYNC_INTERVAL)"
  count() { curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '/^logpipe_acks_sent_total /{printf "%d", $2}'; }
else
  mkdir -p "$WORK/recv"
  cat >"$WORK/recv.conf" <<CONF
global(workDirectory="$WORK/recv")
module(load="imrelp")
template(name="rawline" type="string" string="%rawmsg%\n")
ruleset(name="bench") { action(type="omfile" file="$WORK/out.log" template="rawline") }
input(type="imrelp" port="$RELP_PORT" address="127.0.0.1" ruleset="bench")
CONF
  rsyslogd -n -f "$WORK/recv.conf" -i "$WORK/recv.pid" >"$WORK/recv.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$RELP_PORT" 30
  DESC="$(rsyslogd -v | head -1 | awk '{print "rsyslogd", $2}') imrelp->omfile (acks once enqueued, no fsync)"
  count() { [[ -f "$WORK/out.log" ]] && wc -l <"$WORK/out.log" || echo 0; }
fi

# The sender: imtcp in, one omrelp action per connection, lines split between them by tag.
mkdir -p "$WORK/send"
{
  echo "global(workDirectory=\"$WORK/send\" maxMessageSize=\"64k\")"
  echo "module(load=\"imtcp\")"
  echo "module(load=\"omrelp\")"
  echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$IN_PORT\")"
  for c in $(seq 0 $((CONNECTIONS - 1))); do
    echo "if \$programname == \"c$c\" then { action(type=\"omrelp\" target=\"127.0.0.1\" port=\"$RELP_PORT\" windowSize=\"$WINDOW\"" \
         "queue.type=\"LinkedList\" queue.size=\"500000\" queue.dequeueBatchSize=\"1024\") }"
  done
} >"$WORK/send.conf"
rsyslogd -n -f "$WORK/send.conf" -i "$WORK/send.pid" >"$WORK/send.log" 2>&1 &
PIDS+=($!)
wait_for_port "$IN_PORT" 30

awk -v n="$RECORDS" -v c="$CONNECTIONS" 'BEGIN {
  for (i = 0; i < n; i++) printf "<14>Mar 10 12:00:00 host1 c%d: record %d of the relp benchmark, padded to a typical length ............\n", i % c, i
}' >"$WORK/lines"

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
     "sender: rsyslogd omrelp x$CONNECTIONS (window $WINDOW); receiver: $DESC; load: $(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s.%N)
cat "$WORK/lines" >"/dev/tcp/127.0.0.1/$IN_PORT"
DEADLINE=$((SECONDS + TIMEOUT))
until [[ "$(count)" -ge "$RECORDS" ]]; do
  if (( SECONDS > DEADLINE )); then echo "relp.sh: only $(count) of $RECORDS stored after $TIMEOUT s" >&2; exit 1; fi
  sleep 0.05
done
END=$(date +%s.%N)
awk -v n="$RECORDS" -v s="$START" -v e="$END" -v t="$TARGET" -v c="$CONNECTIONS" -v w="$WINDOW" 'BEGIN {
  printf "target=%s connections=%d window=%d records=%d seconds=%.2f records_per_s=%.0f\n", t, c, w, n, e - s, n / (e - s) }'
if [[ "$TARGET" == logpipe ]]; then
  curl -s "http://127.0.0.1:$ADMIN_PORT/stats" | tr -d ' \n' | grep -o '"acks":{[^}]*}[^}]*}' || true
  echo
  curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -E '^logpipe_(syncs_total|ack_pressure_syncs_total) ' || true
fi
