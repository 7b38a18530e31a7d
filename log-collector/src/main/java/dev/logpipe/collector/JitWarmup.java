package dev.logpipe.collector;

import dev.logpipe.filesink.JournalSettings;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SyncPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JIT warm-up {@link LogPipeline.Builder#warmup} asks for, run by {@code start()} after the
 * journal is open and before the listeners bind: a throwaway pipeline with the same channel and
 * journal write settings takes synthetic records through {@link Emitter#emit}, so that the emit
 * path, the channel, the journal writer and its syncs are compiled when the application's first
 * record comes: on two cores, 4 threads emitting 250,000 records each ran 1.6-1.9x as fast from the
 * first emit after a 2 s warm-up as cold (figures in bench/RESULTS.md).
 *
 * <p>What it runs: a pipeline on a journal in a new temporary directory (deleted after), with a
 * channel a sixteenth of the real one's size so that it fills and empties over and over (the code
 * for a full channel is compiled too); two threads emit into it. It stops after {@link #MAX_RECORDS}
 * records or three quarters of the budget, waits within the budget until they are durable (written,
 * when the journal never syncs while running) and the compiler has gone quiet. An emit blocks for a
 * quarter of the budget at most and the throwaway pipeline's close drains for as long, so a warm-up
 * whose journal cannot keep up (a temporary directory short of space pauses it) stops at its first
 * refused emit and ends within about 1.25 times the budget; the pipeline then starts cold. Nothing of
 * it reaches the real journal, its counters or its sink
 * listener; the throwaway pipeline logs its start and stop at debug.
 *
 * <p>What it does not warm: the listeners' decoders. The same idea over loopback TCP, with a varied
 * corpus of JSON, syslog and text, was built and measured for {@code serve}: no gain, because the
 * compiled decoders were thrown away ("unstable_if" traps) as soon as real traffic took a branch the
 * synthetic one had not: a timestamp with another number of fraction digits, a key of another
 * length, a connection's first record.
 *
 * <p>It never stops a start: a warm-up that fails (no temporary directory, say) logs a warning and
 * the pipeline starts cold.
 *
 * <p>Threading: called on the thread running {@code start()}; it starts and joins its own emitters.
 */
final class JitWarmup {

    private static final Logger LOG = LoggerFactory.getLogger(JitWarmup.class);

    /** Records to emit at most. */
    static final int MAX_RECORDS = 600_000;
    /** The throwaway journals' directory names start with this, in the temporary directory. */
    static final String PREFIX = "logpipe-warmup-";
    /** The file in a throwaway journal's directory that names the process it belongs to. */
    static final String OWNER_FILE = "owner.pid";
    /** A leftover is deleted only if nothing in it was written for this long. */
    static final long LEFTOVER_QUIET_MILLIS = 60_000;
    private static final int EMITTERS = 2;
    /** How long the compiler must have done nothing for its queue to count as drained. */
    private static final long COMPILER_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    private JitWarmup() {
    }

    /** What a warm-up did: records emitted, how many of them became durable (written, with sync never), how long it took. */
    record Outcome(long emitted, long stored, Duration took) {
    }

    /**
     * Runs the warm-up for {@code real}'s settings within {@code budget}, its journal in a new
     * directory under {@code tempParent} (null: the system's temporary directory); returns what it
     * did, or null if it could not run (logged as a warning).
     */
    static Outcome run(LogPipeline.Builder real, Duration budget, Path tempParent) {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        // Emitting stops at three quarters of the budget: the rest is for what was emitted to become
        // durable (the shutdown then has nothing left to drain) and for the compiler to catch up.
        long emitting = budget.toNanos() / 4 * 3;
        long emitted;
        long stored;
        Path dir = null;
        Thread cleanup = null;
        try {
            Path parent = tempParent != null ? tempParent : Path.of(System.getProperty("java.io.tmpdir"));
            deleteLeftovers(parent);
            dir = Files.createTempDirectory(parent, PREFIX);
            // who owns it: a later warm-up deletes it once this process is gone (killed mid-warm-up)
            Files.writeString(dir.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
            // A JVM stopped during the warm-up (SIGTERM before serve handles signals) deletes it too.
            Path created = dir;
            cleanup = new Thread(() -> deleteTree(created), "logpipe-warmup-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            LogPipeline.Builder copy = real.warmupCopy(dir, budget);
            // durable, as applications mostly ask, unless nothing syncs while running
            Durability level = copy.journalSettings().syncPolicy().kind() == SyncPolicy.Kind.NEVER
                    ? Durability.WRITTEN : Durability.DURABLE;
            try (LogPipeline p = copy.start()) {
                emitted = emit(p, templates(), MAX_RECORDS, level, start + emitting);
                stored = awaitStored(p, emitted, level, deadline);
            }
            awaitCompilerQuiet(deadline);
            Outcome o = new Outcome(emitted, stored, Duration.ofNanos(System.nanoTime() - start));
            LOG.info("JIT warm-up: {} synthetic records emitted ({} stored) on a throwaway journal in {} ms (budget {} ms)",
                    o.emitted(), o.stored(), o.took().toMillis(), budget.toMillis());
            return o;
        } catch (IOException | RuntimeException e) {
            LOG.warn("JIT warm-up skipped, starting cold: {}", e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down: the hook runs, and finds nothing left to delete
                }
            }
        }
    }

    /** The throwaway journal's settings: the real one's write path, none of its housekeeping. */
    static JournalSettings journalFor(JournalSettings real) {
        return JournalSettings.builder()
                .syncPolicy(real.syncPolicy())
                .rollCycle(real.rollCycle())
                .batchSize(real.batchSize())
                .prefaultPages(real.prefaultPages())
                .maxRecordBytes(real.maxRecordBytes())
                .build();
    }

    /**
     * Emits at {@code level} from {@link #EMITTERS} threads until {@code records} or the deadline;
     * returns how many.
     */
    private static long emit(LogPipeline p, LogRecord[] templates, long records, Durability level, long deadline)
            throws InterruptedException {
        AtomicLong emitted = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> emitters = new ArrayList<>();
        for (int t = 0; t < EMITTERS; t++) {
            Emitter emitter = p.emitter("warmup-" + t);
            Thread thread = new Thread(() -> {
                long n = 0; // emitted by this thread
                try {
                    // the deadline on every emit: one that blocks (a journal paused for space) takes up
                    // to the emit block time, and a thousand of them would be far past the budget
                    for (long i = 0; i < records / EMITTERS && System.nanoTime() - deadline < 0; i++) {
                        CompletionStage<Long> stage = emitter.emit(templates[(int) (i & (templates.length - 1))], level);
                        CompletableFuture<Long> f = stage.toCompletableFuture();
                        if (f.isCompletedExceptionally()) {
                            f.get(); // refused (the channel stayed full, or closed): stop, and say why
                        }
                        n++;
                        if ((i & 16383) == 16383) {
                            // a bounded number of stages outstanding, as a well-behaved caller keeps,
                            // waiting for one no longer than the budget
                            long left = deadline - System.nanoTime();
                            if (left <= 0) {
                                break;
                            }
                            f.get(left, TimeUnit.NANOSECONDS);
                        }
                    }
                } catch (TimeoutException | InterruptedException e) {
                    // out of budget (or asked to stop): what was emitted is enough
                } catch (ExecutionException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                } finally {
                    emitted.addAndGet(n);
                }
            }, "logpipe-warmup-emitter-" + t);
            thread.setDaemon(true);
            emitters.add(thread);
        }
        emitters.forEach(Thread::start);
        for (Thread t : emitters) {
            t.join();
        }
        if (failure.get() != null) {
            Throwable f = failure.get();
            Throwable cause = f instanceof ExecutionException && f.getCause() != null ? f.getCause() : f;
            throw new IllegalStateException("a warm-up emit failed: " + cause, cause);
        }
        return emitted.get();
    }

    /** Waits until {@code emitted} records reach {@code level} or the deadline; returns how many did. */
    private static long awaitStored(LogPipeline p, long emitted, Durability level, long deadline)
            throws InterruptedException {
        long stored;
        while ((stored = level == Durability.DURABLE ? p.stats().durableRecords() : p.stats().writtenRecords()) < emitted
                && System.nanoTime() - deadline < 0) {
            Thread.sleep(5); // a stats snapshot per 5 ms, for at most the budget
        }
        return stored;
    }

    /** Waits until the JIT has compiled nothing for a while (its queue has drained) or the deadline. */
    private static void awaitCompilerQuiet(long deadline) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long last = jit.getTotalCompilationTime();
        long quietSince = System.nanoTime();
        while (System.nanoTime() - deadline < 0 && System.nanoTime() - quietSince < COMPILER_QUIET_NANOS) {
            Thread.sleep(10);
            long now = jit.getTotalCompilationTime();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            }
        }
    }

    /**
     * Deletes the warm-up journals in {@code parent} whose owner file names a process that is no
     * longer running: left by a JVM killed during its warm-up (SIGKILL runs no shutdown hook), each
     * up to ~120 MB. One without an owner file, whose owner runs, or with a file written in the last
     * minute is another warm-up's (being created right now, or of a process in another PID namespace
     * that shares this directory) and is left alone.
     */
    static void deleteLeftovers(Path parent) {
        try (Stream<Path> entries = Files.list(parent)) {
            for (Path d : entries.filter(e -> e.getFileName().toString().startsWith(PREFIX)).toList()) {
                long owner;
                try {
                    owner = Long.parseLong(Files.readString(d.resolve(OWNER_FILE)).trim());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                try {
                    if (owner != ProcessHandle.current().pid() && ProcessHandle.of(owner).isEmpty()
                            && lastWrittenMillis(d) < System.currentTimeMillis() - LEFTOVER_QUIET_MILLIS) {
                        LOG.info("deleting the warm-up journal {} of process {}, which is gone (stopped during its warm-up)",
                                d, owner);
                        deleteTree(d);
                    }
                } catch (IOException | UncheckedIOException e) {
                    // being deleted by its owner right now, or unreadable: not ours to judge
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not look for warm-up journals left in {}: {}", parent, e.toString());
        }
    }

    /** The newest modification time of anything in {@code dir}, in epoch milliseconds. */
    private static long lastWrittenMillis(Path dir) throws IOException {
        long newest = Files.getLastModifiedTime(dir).toMillis();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.toList()) {
                newest = Math.max(newest, Files.getLastModifiedTime(f).toMillis());
            }
        }
        return newest;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return; // deleted already (the shutdown hook after the warm-up's own cleanup)
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete the warm-up journal {}: {}", dir, e.toString());
        }
    }

    /** 64 records of the shapes applications emit: levels, services, hosts or not, fields, JSON fields. */
    static LogRecord[] templates() {
        String[] services = {"checkout", "payments", "search", "auth", "inventory", "mailer"};
        String[] words = {"request", "completed", "user", "cache", "miss", "order", "retry", "upstream",
            "latency", "token", "refresh", "session", "timeout", "db", "query", "ok", "card", "déclinée"};
        SplittableRandom rnd = new SplittableRandom(7);
        Level[] levels = Level.values();
        LogRecord[] out = new LogRecord[64];
        for (int i = 0; i < out.length; i++) {
            StringBuilder msg = new StringBuilder();
            for (int w = 3 + rnd.nextInt(rnd.nextInt(8) == 0 ? 60 : 12); w > 0; w--) {
                msg.append(words[rnd.nextInt(words.length)]).append(' ');
            }
            LogRecord.Builder b = LogRecord.builder()
                    .level(levels[rnd.nextInt(levels.length)])
                    .service(services[rnd.nextInt(services.length)])
                    .message(msg.append('#').append(i).toString());
            if (rnd.nextBoolean()) {
                b.host("web-" + rnd.nextInt(16));
            }
            for (int f = rnd.nextInt(5); f > 0; f--) {
                b.field("k" + f, Long.toHexString(rnd.nextLong()));
            }
            if (rnd.nextInt(3) == 0) {
                b.fieldJson("ctx", "{\"n\":" + rnd.nextInt(100) + ",\"tags\":[\"a\",\"b\"]}");
            }
            out[i] = b.build();
        }
        return out;
    }
}
