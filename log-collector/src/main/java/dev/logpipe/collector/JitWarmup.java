package dev.logpipe.collector;

import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.JournalSettings;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyncPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 * <p>What it runs: a pipeline on a journal in {@value #DIR_NAME} of the real journal's directory
 * (deleted after), with a channel a sixteenth of the real one's size so that it fills and empties
 * over and over (the code for a full channel is compiled too). Two threads emit {@link LogRecord}s
 * into it through {@link Emitter#emit}, as an application does. When the real pipeline has listeners
 * or receivers, the second thread instead sends records already in the journal's layout
 * ({@link EncodedRecord}) the way the TCP listeners do ({@code trySend}, then an async send while the
 * channel is full), one in 16 with a receipt as the acknowledged protocols ask: a writer compiled
 * for emitted records only was thrown away ("unstable_if" traps in the writer, the channel's
 * weigher and the request's size) at a server's first network record, just when its traffic began.
 * It runs in two rounds, each on a fresh journal (see {@link #run}): the first stops after a quarter
 * of {@link #MAX_RECORDS} records or of its time, the second after {@link #MAX_RECORDS} records or
 * three quarters of the budget; each waits within the budget until its records are durable
 * (written, when the journal never syncs while running), and then the compiler must go quiet. An
 * emit blocks for a quarter of the budget at most and a throwaway pipeline's close drains for as
 * long, so a warm-up whose journal cannot keep up stops at its first refused emit and ends within
 * about 1.25 times the budget. Nothing of it reaches the real journal, its counters or its
 * sink listener; the throwaway pipeline logs its start and stop at debug.
 *
 * <p>What it does not warm: the listeners' decoders. The same idea over loopback TCP, with a varied
 * corpus of JSON, syslog and text, was built and measured for {@code serve}: no gain, because the
 * compiled decoders were thrown away ("unstable_if" traps) as soon as real traffic took a branch the
 * synthetic one had not: a timestamp with another number of fraction digits, a key of another
 * length, a connection's first record.
 *
 * <p>It never stops a start: with less than {@link #SPACE_NEEDED} free beside the journal's reserve
 * it is skipped (logged at info), a warm-up that fails (its directory cannot be made, say) logs a
 * warning, and either way the pipeline starts cold.
 *
 * <p>Threading: called on the thread running {@code start()}; it starts and joins its own emitters.
 */
final class JitWarmup {

    private static final Logger LOG = LoggerFactory.getLogger(JitWarmup.class);

    /** Records to emit at most. */
    static final int MAX_RECORDS = 600_000;
    /** Records the first, shorter round emits at most. */
    static final int FIRST_ROUND_RECORDS = MAX_RECORDS / 4;
    /**
     * The throwaway journal's directory, in the real journal's: on the file system the journal was
     * given (not a temporary directory that may be small, or in memory), and covered by the real
     * journal's lock, so one left by a warm-up killed before it could delete it is deleted safely by
     * the next.
     */
    static final String DIR_NAME = "warmup.tmp";
    /** Free space the warm-up asks for beside the journal's reserve: its journal takes up to ~120 MB. */
    static final long SPACE_NEEDED = 256L << 20;
    private static final int EMITTERS = 2;
    /** How long the compiler must have done nothing for its queue to count as drained. */
    private static final long COMPILER_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    private JitWarmup() {
    }

    /**
     * What a warm-up did: records emitted in all, how many of them were sent the way the listeners
     * send, the rounds run, how many records became durable (written, with sync never), how long it took.
     */
    record Outcome(long emitted, long sent, int rounds, long stored, Duration took) {
    }

    /** Records emitted by one round and, of them, sent the way the listeners send. */
    private record Emitted(long total, long sent) {
    }

    /**
     * Runs the warm-up for {@code real}'s settings within {@code budget}, its journal in {@code dir}
     * (created, deleted afterwards; one already there is a leftover and deleted first: nothing else
     * may use it); returns what it did, or null if it could not run (logged as a warning).
     */
    static Outcome run(LogPipeline.Builder real, Duration budget, Path dir) {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        // Emitting stops at three quarters of the budget: the rest is for what was emitted to become
        // durable (the shutdown then has nothing left to drain) and for the compiler to catch up.
        long emitting = budget.toNanos() / 4 * 3;
        long emitted;
        long stored;
        boolean created = false;
        Thread cleanup = null;
        try {
            if (Files.exists(dir)) {
                // left by a warm-up killed before it could delete it (a SIGKILL runs no shutdown hook)
                LOG.info("deleting {}, the journal of a warm-up that was stopped", dir);
                deleteTree(dir);
            }
            // Room: on a volume short of space the warm-up's journal would only pause (and say so
            // as loudly as the real one), and take space the real journal may need.
            long need = SPACE_NEEDED + real.journalSettings().minFreeBytes();
            long usable = Files.getFileStore(dir.toAbsolutePath().getParent()).getUsableSpace();
            if (usable < need) {
                LOG.info("JIT warm-up skipped, starting cold: {} has {} MiB free, the warm-up needs {} MiB beside the"
                        + " journal's reserve", dir.toAbsolutePath().getParent(), usable >> 20, SPACE_NEEDED >> 20);
                return null;
            }
            Files.createDirectory(dir);
            created = true;
            // A JVM stopped during the warm-up (SIGTERM before serve handles signals) deletes it too.
            cleanup = new Thread(() -> deleteTree(dir), "logpipe-warmup-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            boolean listenerLike = real.takesNetworkInput();
            LogRecord[] templates = templates();
            emitted = 0;
            stored = 0;
            long sent = 0;
            int rounds = 0;
            // Two rounds, each on a fresh journal: a journal's first appends take branches in
            // Chronicle's appender that later ones do not, so code compiled during one round is thrown
            // away at the next journal's first append; that second time is still in the warm-up.
            for (int round = 1; round <= 2; round++) {
                Path roundDir = dir.resolve("round-" + round);
                LogPipeline.Builder copy = real.warmupCopy(roundDir, budget);
                // durable, as applications mostly ask, unless nothing syncs while running
                Durability level = copy.journalSettings().syncPolicy().kind() == SyncPolicy.Kind.NEVER
                        ? Durability.WRITTEN : Durability.DURABLE;
                boolean first = round == 1;
                try (LogPipeline p = copy.start()) {
                    Emitted e = emit(p, templates, first ? FIRST_ROUND_RECORDS : MAX_RECORDS, level,
                            start + (first ? emitting / 4 : emitting), listenerLike);
                    emitted += e.total();
                    sent += e.sent();
                    stored += awaitStored(p, e.total(), level, deadline);
                }
                rounds++;
                deleteTree(roundDir);
            }
            awaitCompilerQuiet(deadline);
            Outcome o = new Outcome(emitted, sent, rounds, stored, Duration.ofNanos(System.nanoTime() - start));
            LOG.info("JIT warm-up: {} synthetic records ({} of them sent as a listener sends, {} stored) on {} throwaway"
                    + " journals in {} ms (budget {} ms)", o.emitted(), o.sent(), o.stored(), o.rounds(),
                    o.took().toMillis(), budget.toMillis());
            return o;
        } catch (IOException | RuntimeException e) {
            LOG.warn("JIT warm-up skipped, starting cold: {}", e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (created) {
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
     * returns how many. With {@code listenerLike}, the second thread sends records the way the
     * listeners do instead ({@link #sendEncoded}).
     */
    private static Emitted emit(LogPipeline p, LogRecord[] templates, long records, Durability level, long deadline,
                                boolean listenerLike) throws InterruptedException {
        AtomicLong emitted = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> emitters = new ArrayList<>();
        for (int t = 0; t < EMITTERS; t++) {
            boolean sends = listenerLike && t == 1;
            Emitter emitter = sends ? null : p.emitter("warmup-" + t);
            Thread thread = new Thread(() -> {
                long n = 0; // emitted by this thread
                try {
                    if (sends) {
                        n = sendEncoded(p, templates, records / EMITTERS, level, deadline);
                        return;
                    }
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
                    if (sends) {
                        sent.addAndGet(n);
                    }
                }
            }, "logpipe-warmup-" + (sends ? "sender-" : "emitter-") + t);
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
        return new Emitted(emitted.get(), sent.get());
    }

    /**
     * Sends {@code records} of {@code templates}, encoded as a listener's parser encodes them, into the
     * channel the way the TCP listeners do, until the deadline: {@code trySend}, and while the channel
     * is full an async send whose completion (on the writer) lets the next one go. One in 16 carries a
     * receipt at {@code level}, as an acknowledged protocol's record does. Returns how many were
     * sent.
     */
    private static long sendEncoded(LogPipeline p, LogRecord[] templates, long records, Durability level,
                                    long deadline) throws ExecutionException, InterruptedException {
        MpscSender<AppendRequest> sender = p.listenerSender();
        PipelineCounters counters = p.counters();
        EncodedRecord.Encoder encoder = new EncodedRecord.Encoder(false);
        byte[][][] parts = new byte[templates.length][][];
        for (int i = 0; i < templates.length; i++) {
            parts[i] = partsOf(templates[i]);
        }
        String[] sources = new String[8];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = "tcp:127.0.0.1:" + (40_000 + i);
        }
        long n = 0;
        for (long i = 0; i < records && System.nanoTime() - deadline < 0; i++) {
            int k = (int) (i & (templates.length - 1));
            EncodedRecord e = encode(encoder, templates[k], parts[k], sources[(int) (i >>> 6) & 7]);
            AppendRequest request = (i & 15) != 15 ? AppendRequest.of(e)
                    : level == Durability.DURABLE ? AppendRequest.withDurableReceipt(e) : AppendRequest.withReceipt(e);
            counters.recordAccepted(SourceFormat.JSON);
            SendResult<AppendRequest> r = sender.trySend(request);
            if (r instanceof SendResult.Full<AppendRequest>) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    r = sender.send(request).toCompletableFuture().get(left, TimeUnit.NANOSECONDS);
                } catch (TimeoutException timedOut) {
                    break; // out of budget; the record may still go in, and be stored
                }
            }
            if (!(r instanceof SendResult.Sent<AppendRequest>)) {
                throw new IllegalStateException("the warm-up's channel refused a record: " + r);
            }
            n++;
        }
        return n;
    }

    /**
     * A template's parts as UTF-8: host, service, message, then name and value of each field, and
     * last one byte per field, 1 when its value is JSON text.
     */
    private static byte[][] partsOf(LogRecord r) {
        Map<String, FieldValue> fields = r.fields();
        byte[][] parts = new byte[3 + 2 * fields.size() + 1][];
        parts[0] = utf8(r.host());
        parts[1] = utf8(r.service());
        parts[2] = utf8(r.message());
        byte[] json = new byte[fields.size()];
        int f = 0;
        for (Map.Entry<String, FieldValue> e : fields.entrySet()) {
            parts[3 + 2 * f] = utf8(e.getKey());
            parts[4 + 2 * f] = utf8(e.getValue().text());
            json[f] = (byte) (e.getValue().json() ? 1 : 0);
            f++;
        }
        parts[parts.length - 1] = json;
        return parts;
    }

    private static byte[] utf8(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    private static EncodedRecord encode(EncodedRecord.Encoder out, LogRecord template, byte[][] parts, String source) {
        long now = LogRecord.nowNanos();
        out.begin(now, now, template.level(), SourceFormat.JSON, 0)
                .host(parts[0], 0, parts[0].length)
                .service(parts[1], 0, parts[1].length)
                .source(source)
                .message(parts[2], 0, parts[2].length);
        byte[] json = parts[parts.length - 1];
        out.fieldCount(json.length);
        for (int f = 0; f < json.length; f++) {
            byte[] name = parts[3 + 2 * f];
            byte[] value = parts[4 + 2 * f];
            out.field(name, 0, name.length, json[f] == 1, value, 0, value.length);
        }
        return out.finish();
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
                b.field("ctx", new FieldValue("{\"n\":" + rnd.nextInt(100) + ",\"tags\":[\"a\",\"b\"]}", true));
            }
            out[i] = b.build();
        }
        return out;
    }
}
