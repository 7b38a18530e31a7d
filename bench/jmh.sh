#!/usr/bin/env bash
# Builds benchmarks/target/benchmarks.jar and runs the microbenchmarks with short settings:
#  (a) MpscThroughput (JMH): logpipe's bounded mpsc vs ArrayBlockingQueue, LinkedBlockingQueue and
#      JCTools' MpscArrayQueue, 1/2/4 producers, one consumer; printed as ratios to ArrayBlockingQueue;
#  (b) WriterBench (a program): FileSink append throughput, the writer thread's CPU per record and
#      send-to-durable percentiles for sync never / every 100 ms / every batch, one JVM per policy;
#      then PageFaultCost: what a first write to a new page of a mapped sparse file costs here.
#
#   bench/jmh.sh [--only mpsc|writer] [--writer-records N]
#   JMH_ARGS="-f 1 -wi 3 -i 5 -w 2s -r 3s" bench/jmh.sh      # JMH settings (these are the defaults)
#
# Raw results go to bench/results/ (not committed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ONLY=""
WRITER_RECORDS=4000000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --writer-records) WRITER_RECORDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "jmh.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done
JMH_ARGS="${JMH_ARGS:--f 1 -wi 3 -i 5 -w 2s -r 3s}"
CHRONICLE_FLAGS="$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' "$ROOT/pom.xml")"
JAR="$ROOT/benchmarks/target/benchmarks.jar"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"

# Build benchmarks.jar from this tree (with the modules it measures, -am) when it is missing or
# older than any of their sources, so that what runs is the code checked out here.
if [[ ! -f "$JAR" ]] || [[ -n "$(find "$ROOT/pom.xml" "$ROOT/channels" "$ROOT/runtime-core" "$ROOT/file-sink" \
      "$ROOT/benchmarks" -name target -prune -o \( -name pom.xml -o -path '*/src/*' \) -type f -newer "$JAR" \
      -print -quit 2>/dev/null)" ]]; then
  echo "# building benchmarks.jar" >&2
  (cd "$ROOT" && mvn -B -q -DskipTests -pl benchmarks -am package) >&2
fi

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r)"
echo "# jvm: $(java -version 2>&1 | tr '\n' ' ')"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the 2 cores may be shared with other work)"

if [[ -z "$ONLY" || "$ONLY" == mpsc ]]; then
  CSV="$OUT/mpsc-$STAMP.csv"
  echo "# java -jar benchmarks/target/benchmarks.jar MpscThroughput $JMH_ARGS -rf csv -rff $CSV"
  # shellcheck disable=SC2086
  java -jar "$JAR" MpscThroughput $JMH_ARGS -rf csv -rff "$CSV" >"$OUT/mpsc-$STAMP.log" 2>&1 || {
    echo "jmh.sh: JMH failed; see $OUT/mpsc-$STAMP.log" >&2; tail -30 "$OUT/mpsc-$STAMP.log" >&2; exit 1; }
  echo
  echo "MpscThroughput: transfers/s delivered to the one consumer (capacity 1024); ratio = score / ArrayBlockingQueue's at the same producer count"
  echo "(2 cores: at 4 producers there are 5 busy threads, the machine is oversubscribed)"
  awk -F, -f "$ROOT/bench/mpsc-ratios.awk" "$CSV"
fi

if [[ -z "$ONLY" || "$ONLY" == writer ]]; then
  echo
  echo "WriterBench: FileSink append of ~200-byte records, $WRITER_RECORDS per policy, one JVM each (data in ${TMPDIR:-/tmp})"
  for policy in never 100ms batch; do
    echo "# java <chronicle flags> -Xms2g -Xmx2g -cp benchmarks/target/benchmarks.jar dev.logpipe.bench.WriterBench --sync $policy --records $WRITER_RECORDS"
    # shellcheck disable=SC2086
    java $CHRONICLE_FLAGS -Xms2g -Xmx2g -cp "$JAR" dev.logpipe.bench.WriterBench --sync "$policy" \
        --records "$WRITER_RECORDS" 2>>"$OUT/writer-$STAMP.err" | tee -a "$OUT/writer-$STAMP.log"
  done
  echo "# java -cp benchmarks/target/benchmarks.jar dev.logpipe.bench.PageFaultCost   (the kernel's price of the writer's page faults here)"
  java -cp "$JAR" dev.logpipe.bench.PageFaultCost | tee -a "$OUT/writer-$STAMP.log"
fi
