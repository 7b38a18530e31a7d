package dev.logpipe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time of this process's threads by name, from {@code /proc/self/task/*&#47;stat} (user plus
 * system, in the kernel's 10 ms ticks): what the benchmark programs print with
 * {@code -Dbench.threads=true}, so that where a run's CPU went (the JIT's compiler threads, the
 * journal writer, the blocking pool, GC) is one flag away instead of a profiler session. The names
 * are the kernel's (at most 15 characters, e.g. {@code C2_CompilerThre}, {@code logpipe-journal}),
 * with a trailing number made {@code N} so that a pool's threads add up. A thread that ended before
 * a snapshot is not in it; on a system without {@code /proc} the snapshot is empty.
 *
 * <p>Threading: stateless.
 */
final class ThreadTicks {

    /** Nanoseconds in one tick ({@code CLK_TCK} is 100 on Linux). */
    private static final double NANOS_PER_TICK = 1e7;

    private ThreadTicks() {
    }

    /** Ticks of every thread alive now, by name (names summed). */
    static Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9#]+$", "N");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.merge(name.replace(' ', '_'), Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /**
     * One line: {@code # cpu_ns/record by thread (from /proc, 10 ms ticks): NAME=NS ...}, the CPU each
     * name used between the two snapshots divided by {@code records}, largest first, names that used
     * none left out; then {@code extra} (e.g. threads that ended before {@code after}, measured apart).
     */
    static String report(Map<String, Long> before, Map<String, Long> after, long records, String extra) {
        StringBuilder sb = new StringBuilder("# cpu_ns/record by thread (from /proc, 10 ms ticks):");
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> sb.append(String.format(Locale.ROOT, " %s=%.0f", e.getKey(),
                        e.getValue() * NANOS_PER_TICK / records)));
        return extra.isEmpty() ? sb.toString() : sb.append(' ').append(extra).toString();
    }
}
