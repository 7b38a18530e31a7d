# Shell helpers the bench scripts share; source it after setting WORK (the run's temp directory)
# and SERVER_PID ("" until the server runs). Messages name the calling script.

# Stops a process: TERM, up to 30 s for it to exit, then KILL. No-op for "" or a process gone.
stop_pid() {
  local pid="$1"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Waits until something listens on 127.0.0.1:PORT, for at most SECONDS; exits 1 (with the server's
# log) if the server exits first or the time passes.
wait_for_port() { # port seconds
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    if [[ -n "${SERVER_PID:-}" ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "$(basename "$0"): the server exited before listening on $1; its log:" >&2; cat "$WORK/server.log" >&2; exit 1
    fi
    if (( SECONDS > deadline )); then echo "$(basename "$0"): nothing listens on 127.0.0.1:$1 after $2 s" >&2; exit 1; fi
    sleep 0.2
  done
}

# The JVM under a launcher: the pid whose /proc/PID/exe is java (the launcher itself, if it exec'd).
java_pid_of() {
  local pid="$1" child
  for _ in $(seq 1 100); do
    if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == *java* ]]; then echo "$pid"; return; fi
    child="$(pgrep -P "$pid" | head -1 || true)"
    if [[ -n "$child" ]]; then pid="$child"; continue; fi
    sleep 0.1
  done
  echo "$1"
}

# CPU ticks of each thread of process PID, one "name|ticks" line per thread (utime + stime, in
# clock ticks; the name as the kernel keeps it, at most 15 characters).
thread_ticks() { # pid
  local t
  for t in /proc/"$1"/task/*; do
    [[ -r "$t/stat" ]] || continue
    local stat rest
    stat="$(cat "$t/stat" 2>/dev/null)" || continue
    rest="${stat##*) }"
    # fields after the name: state is 1st, utime the 12th, stime the 13th
    set -- $rest
    echo "$(cat "$t/comm" 2>/dev/null)|$(( ${12} + ${13} ))"
  done
}

# Prints, as comment lines, the CPU each group of threads used between two thread_ticks snapshots:
# threads grouped by name without their trailing numbers (the event loops, GC workers, compilers).
thread_cpu_report() { # before-file after-file
  awk -F'|' -v hz="$(getconf CLK_TCK)" '
    function group(n) { sub(/[-#]?[0-9]+$/, "", n); sub(/[-#]?[0-9]+$/, "", n); return n }
    NR == FNR { before[group($1)] += $2; next }
    { after[group($1)] += $2 }
    END {
      for (g in after) { d = after[g] - before[g]; if (d > 0) { printf "%.0f|%s\n", d * 1000 / hz, g; total += d * 1000 / hz } }
      printf "%.0f|(total)\n", total
    }' "$1" "$2" | sort -t'|' -k1,1nr | awk -F'|' '{ printf "# thread cpu %-20s %7d ms\n", $2, $1 }'
}
