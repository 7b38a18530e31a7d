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
