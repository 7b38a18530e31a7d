package dev.logpipe.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and memory of another process from Linux {@code /proc}: user+system CPU from
 * {@code /proc/PID/stat} (clock ticks, 100 per second on Linux x86-64 builds) and peak resident set
 * ({@code VmHWM}) and current anonymous/file-backed resident memory from {@code /proc/PID/status}.
 *
 * <p>Threading: stateless; thread-safe.
 */
final class ProcStats {

    /** USER_HZ: the unit of utime/stime; 100 on every mainstream Linux build (getconf CLK_TCK). */
    static final int CLOCK_TICKS_PER_SECOND = 100;

    private ProcStats() {
    }

    /** User + system CPU seconds used so far by {@code pid}. */
    static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // The command name (field 2) may hold spaces; fields after its closing ')' are fixed.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long utime = Long.parseLong(f[11]); // field 14
        long stime = Long.parseLong(f[12]); // field 15
        return (utime + stime) / (double) CLOCK_TICKS_PER_SECOND;
    }

    /** A {@code kB} field of /proc/PID/status (e.g. "VmHWM", "RssAnon") in MiB, or -1 if absent. */
    static double statusMiB(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                String v = line.substring(field.length() + 1).trim().split("\\s+")[0];
                return Long.parseLong(v) / 1024.0;
            }
        }
        return -1;
    }
}
