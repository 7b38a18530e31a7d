package dev.logpipe.collector;

import dev.logpipe.channels.Broadcast;
import dev.logpipe.channels.BroadcastReceiver;
import dev.logpipe.channels.BroadcastSender;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.collector.internal.pipeline.EmbeddedIngress;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.collector.internal.pipeline.ReceiverIngress;
import dev.logpipe.collector.internal.pipeline.ShutdownSignal;
import dev.logpipe.collector.internal.server.TcpServer;
import dev.logpipe.collector.internal.server.Transport;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.JournalSettings;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.Segment;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.SyncPolicy;
import dev.logpipe.filesink.SinkStats;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.runtime.TaskRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.FileStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running logpipe: the journal writer, the bounded channel into it, and the ways in — optional TCP
 * listeners, external {@link Receiver}s (OTLP/HTTP) and in-process {@link Emitter}s — started and
 * stopped in the right order.
 *
 * <p>It owns a {@link TaskRuntime} (worker and blocking pools), one channel bounded in records and in
 * bytes that every producer shares, the {@link FileSink} that drains it, the shutdown broadcast and
 * the journal's durability and rotation watches.
 *
 * <p>Lifecycle: {@link Builder#start()} returns a pipeline that is {@link State#RUNNING}: the journal is
 * open and every listener is bound. {@link #close()} shuts it down gracefully within the drain
 * timeout (default 30 s): stop taking emits and connections, read and store what open connections
 * already sent, close them, let the writer drain the channel, sync, close the journal, stop the
 * threads. Nothing accepted is lost. In a server process call {@link #installShutdownHook()} so that
 * SIGTERM and SIGINT do the same.
 *
 * <p>A journal whose file system runs short of space pauses ({@link #journalState()}, {@link #isReady()}
 * false): producers are held back by the full channel and it resumes by itself when space returns.
 * The books ({@link PipelineStats#unaccounted()}): every received record is written, lost by reason,
 * or in flight.
 *
 * <p>Threading: thread-safe. {@link #close()} blocks the caller and refuses to run on an event loop or
 * runtime worker; every other method returns at once.
 *
 * <p>Example (embedded, no TCP):
 * <pre>{@code
 * try (LogPipeline pipeline = LogPipeline.builder(Path.of("data")).syncInterval(Duration.ofMillis(100)).start()) {
 *     Emitter log = pipeline.emitter("checkout");
 *     long index = log.blockingEmit(LogRecord.builder().level(Level.INFO).message("order placed").build());
 * }
 * }</pre>
 */
public final class LogPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LogPipeline.class);
    /** A connection being drained is closed once its client has sent nothing for this long. */
    private static final Duration DRAIN_QUIET = Duration.ofMillis(100);
    /** After the drain timeout, how long an abandoned writer may take to fail what it holds and end. */
    private static final Duration ABANDON_WAIT = Duration.ofSeconds(5);
    /** After the event loops' shutdown timeout, how much longer to wait for them before the final books. */
    private static final Duration EVENT_LOOP_EXTRA_WAIT = Duration.ofSeconds(5);

    /** Where a pipeline is in its life. */
    public enum State {
        /** Journal open, listeners bound, taking records. */
        RUNNING,
        /** {@link #close()} has begun: no new connections or emits; storing what was accepted. */
        DRAINING,
        /** Everything is stopped and the journal is closed. */
        TERMINATED
    }

    // what the running pipeline reads of its configuration, copied at start: a builder changed
    // afterwards changes nothing here
    private final Path dataDirectory;
    private final Duration drainTimeout;
    /** A JIT warm-up's throwaway pipeline: start and stop logged at debug. */
    private final boolean quiet;
    /** What the JIT warm-up of {@code start()} did; null when none ran. Set before start() returns. */
    private JitWarmup.Outcome warmupOutcome;
    private final TaskRuntime runtime;
    private final Mpsc.Channel<AppendRequest> channel;
    private final MpscSender<AppendRequest> tcpSender;
    private final MpscSender<AppendRequest> embeddedSender;
    private final FileSink sink;
    private final WatchReceiver<Long> durableWatch;
    private final WatchReceiver<Segment> segmentWatch;
    private final BroadcastSender<ShutdownSignal> shutdownBroadcast;
    private final Transport transport;
    private final List<TcpServer> servers;
    private final List<CompletableFuture<Void>> serversDrained;
    /** External receivers ({@link Builder#receiver}) and their ways in, started; in the same order. */
    private final List<Receiver> receivers;
    private final List<ReceiverIngress> receiverIngresses;
    private final PipelineCounters counters;
    private final EmbeddedIngress ingress;
    private final CompletableFuture<PipelineStats> terminated = new CompletableFuture<>();
    private final Object lifecycleLock = new Object();
    private volatile State state = State.RUNNING;

    private LogPipeline(Builder b, TaskRuntime runtime, Mpsc.Channel<AppendRequest> channel, FileSink sink,
                        PipelineCounters counters, Transport transport,
                        List<TcpServer> servers, MpscSender<AppendRequest> tcpSender,
                        List<Receiver> receivers, List<ReceiverIngress> receiverIngresses) {
        this.dataDirectory = b.dataDirectory;
        this.drainTimeout = b.drainTimeout;
        this.quiet = b.quiet;
        Duration readGrace = readGrace(b);
        this.receivers = List.copyOf(receivers);
        this.receiverIngresses = List.copyOf(receiverIngresses);
        this.runtime = runtime;
        this.channel = channel;
        this.sink = sink;
        this.counters = counters;
        this.transport = transport;
        this.servers = List.copyOf(servers);
        this.tcpSender = tcpSender;
        this.embeddedSender = channel.sender().clone();
        this.durableWatch = sink.durableWatermark();
        this.segmentWatch = sink.segments();
        this.ingress = new EmbeddedIngress(embeddedSender, counters, b.emitMaxBlock, b.emitAsyncWaiters,
                () -> sink.journalState() == JournalState.FAILED ? sink.stats().lastError() : null);
        // The shutdown broadcast: each listener subscribes and starts its drain when close() sends.
        Broadcast.Channel<ShutdownSignal> bc = Broadcast.channel(4);
        this.shutdownBroadcast = bc.sender();
        this.serversDrained = new ArrayList<>();
        for (TcpServer server : this.servers) {
            BroadcastReceiver<ShutdownSignal> rx = bc.sender().subscribe();
            serversDrained.add(rx.recv().toCompletableFuture().thenCompose(signal -> {
                rx.close();
                return server.stopAccepting().thenCompose(v -> server.drain(DRAIN_QUIET, readGrace));
            }));
        }
        for (Receiver receiver : this.receivers) {
            BroadcastReceiver<ShutdownSignal> rx = bc.sender().subscribe();
            serversDrained.add(rx.recv().toCompletableFuture().thenCompose(signal -> {
                rx.close();
                return receiver.drain(readGrace).toCompletableFuture();
            }));
        }
        bc.receiver().close();
        // A writer that stops while we still run has failed (an I/O error, not lack of space, which
        // only pauses it): from then on sends are refused and counted as lost; say so loudly once.
        sink.terminated().thenAccept(report -> {
            if (report.error() != null) {
                counters.closedReason(LostReason.JOURNAL_FAILURE);
            }
            if (state == State.RUNNING) {
                LOG.error("the journal writer stopped while the pipeline runs ({}); new records are refused and"
                        + " what connections hold is counted as lost. Check the disk and the data directory, then"
                        + " restart", report.error() == null ? "no error reported" : report.error().toString());
            }
        });
    }

    private static Duration readGrace(Builder b) {
        // Two thirds of the drain timeout for reading what clients already sent (a flooding client's
        // socket buffers hold megabytes, which take seconds to decode on a busy machine), one third
        // for the channel drain, the final sync and closing the journal. A quiet client is closed
        // after 100 ms anyway.
        Duration max = b.drainTimeout.multipliedBy(2).dividedBy(3);
        if (b.shutdownReadGrace == null) {
            return max;
        }
        return b.shutdownReadGrace.compareTo(max) < 0 ? b.shutdownReadGrace : max;
    }

    /** A builder for a pipeline whose journal lives in {@code dataDirectory} (created if missing). */
    public static Builder builder(Path dataDirectory) {
        return new Builder(Objects.requireNonNull(dataDirectory, "dataDirectory"));
    }

    /** A builder for a pipeline whose journal lives in {@code ./data}. */
    public static Builder builder() {
        return builder(Path.of("data"));
    }

    /**
     * An emitter for in-process records; {@code name} becomes each record's source. Cheap: make one
     * per component, or share one.
     *
     * @throws IllegalStateException if the pipeline is closing or closed
     */
    public Emitter emitter(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("emitter name must not be empty; it is stored as the record's source");
        }
        if (state != State.RUNNING) {
            throw new IllegalStateException("the pipeline is " + state.name().toLowerCase() + "; start a new one to emit");
        }
        return new Emitter(name, ingress);
    }

    /**
     * The acknowledged listeners' counters (RELP, Fluent Forward) and the external receivers' (OTLP);
     * zeros without such listeners.
     */
    public AckStats ackStats() {
        dev.logpipe.collector.internal.pipeline.AckCounters a = counters.acks;
        return new AckStats(a.received(), a.acksSent.sum(), a.nacksSent.sum(), a.acksPending.get(),
                a.pressureSyncRequests.sum(), a.errors(), dev.logpipe.collector.internal.pipeline.AckCounters.LATENCY_BOUNDS_MILLIS.clone(), a.latencyBuckets(),
                a.latencySumNanos());
    }

    /** The journal directory. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The addresses the TCP listeners are bound to, in the order they were added (real ports, also for port 0). */
    public List<InetSocketAddress> listenerAddresses() {
        List<InetSocketAddress> out = new ArrayList<>(servers.size());
        for (TcpServer s : servers) {
            out.add(s.localAddress());
        }
        return out;
    }

    /**
     * The bound port of the first TCP listener.
     *
     * @throws IllegalStateException if the pipeline has no listener
     */
    public int tcpPort() {
        if (servers.isEmpty()) {
            throw new IllegalStateException("this pipeline has no TCP listener; add one with Builder.listener(...)");
        }
        return servers.get(0).localAddress().getPort();
    }

    /** {@code "epoll"} or {@code "nio"}, or {@code "none"} without listeners. */
    public String transportName() {
        return transport == null ? "none" : transport.name();
    }

    public State state() {
        return state;
    }

    /**
     * True while the pipeline takes records: every listener bound and the journal writable (for
     * {@code /ready}). False once closing, while the journal is paused for lack of space, or if the
     * journal writer stopped on an error.
     */
    public boolean isReady() {
        return state == State.RUNNING && sink.journalState() == JournalState.WRITABLE;
    }

    /**
     * One word for {@code /ready}: {@code ready}, or why not: {@code starting}, {@code paused} (the
     * journal's file system is short of space; records wait, producers are slowed), {@code failed}
     * (the journal stopped on an I/O error), {@code draining} (shutting down) or {@code stopped}.
     */
    public String readiness() {
        if (state != State.RUNNING) {
            return state == State.DRAINING ? "draining" : "stopped";
        }
        return switch (sink.journalState()) {
            case WRITABLE -> "ready";
            case STARTING -> "starting";
            case PAUSED -> "paused";
            case FAILED -> "failed";
            case STOPPED -> "stopped";
        };
    }

    /**
     * The journal's roll cycle: the one it was created with, which an existing journal keeps whatever
     * {@link Builder#rollCycle} asked (a warning is logged then).
     */
    public RollCycle journalRollCycle() {
        return sink.rollCycle();
    }

    /** Whether the journal can store records now. */
    public JournalState journalState() {
        return sink.journalState();
    }

    /** The journal index of the last durable record, -1 before any. */
    public long durableIndex() {
        synchronized (durableWatch) {
            Long v = durableWatch.borrow();
            return v == null ? -1 : v;
        }
    }

    /** Completes once the record at {@code index} is durable (on a logpipe thread; do not block in it). */
    public CompletionStage<Long> whenDurable(long index) {
        return sink.whenDurable(index);
    }

    /** The listeners' way into the channel, for the JIT warm-up to send as they do. */
    MpscSender<AppendRequest> listenerSender() {
        return tcpSender;
    }

    /** The pipeline's counters, for the JIT warm-up to count as the listeners do. */
    PipelineCounters counters() {
        return counters;
    }

    /** What the JIT warm-up before {@link Builder#start()} did, or null if none ran (for tests). */
    JitWarmup.Outcome warmupOutcome() {
        return warmupOutcome;
    }

    /** A snapshot of the pipeline's counters. Cheap; call it as often as metrics need. */
    public PipelineStats stats() {
        Segment segment;
        synchronized (segmentWatch) {
            segment = segmentWatch.borrow();
        }
        // The books: received = written + lost + in flight. Records move one way (received, held by a
        // connection, in the channel, held by the writer, then written or lost) and the stages are read
        // in that order, so a record moving meanwhile is mostly seen twice rather than not at all (the one
        // gap: the instant between the writer taking a batch and counting it held). Exact whenever
        // nothing moves (paused, stopped); not one atomic snapshot while records flow.
        Map<SourceFormat, Long> received = counters.receivedRecords();
        long pending = Math.max(0, counters.pendingRecords.sum());
        long channelDepth = channel.receiver().len();
        SinkStats ss = sink.stats(); // reads the writer's held records before its written ones
        Map<LostReason, Long> lost = new EnumMap<>(LostReason.class);
        lost.putAll(counters.lost());
        lost.merge(LostReason.JOURNAL_FAILURE, ss.failedRecords(), Long::sum);
        lost.merge(LostReason.DRAIN_TIMEOUT, ss.abandonedRecords(), Long::sum);
        lost.merge(LostReason.RECORD_TOO_LARGE, ss.oversizeRecords(), Long::sum);
        lost.values().removeIf(v -> v == 0);
        long inFlight = pending + channelDepth + ss.heldRecords();
        return new PipelineStats(state, received, counters.receivedBytes(), counters.rejected(),
                counters.truncated(), ss, durableIndex(), channelDepth,
                channel.receiver().maxCapacity(), counters.activeConnections.get(),
                counters.acceptedConnections.sum(), counters.refusedConnections.sum(),
                counters.idleClosedConnections.sum(), counters.tlsFailures.sum(), counters.backpressurePauses.sum(),
                counters.memoryPauses.sum(), counters.maxPendingPerConnection(),
                segment == null || segment.file() == null ? "" : segment.file().getFileName().toString(),
                lost, inFlight);
    }

    /** Completes with the final stats once the pipeline has terminated. */
    public CompletionStage<PipelineStats> terminated() {
        return terminated.copy();
    }

    /** Waits up to {@code timeout} for the pipeline to terminate; true if it has. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        NonBlockingThread.check("awaitTermination");
        try {
            terminated.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /**
     * Registers a JVM shutdown hook (SIGTERM, SIGINT, {@code System.exit}) that runs {@link #shutdown()}.
     * Note: after SIGTERM the JVM exits with status 143 even when the hook finishes cleanly; a command
     * that must exit 0 should end its own hook with {@code Runtime.getRuntime().halt(0)} after
     * {@link #shutdown()} returns.
     *
     * @return the hook thread (for {@code removeShutdownHook})
     */
    public Thread installShutdownHook() {
        Thread hook = new Thread(() -> {
            try {
                shutdown();
            } catch (RuntimeException e) {
                LOG.error("graceful shutdown failed", e);
            }
        }, "logpipe-shutdown-hook");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    /** Shuts the pipeline down gracefully (see {@link #shutdown()}); idempotent. */
    @Override
    public void close() {
        shutdown();
    }

    /**
     * Shuts the pipeline down gracefully and returns the final stats: broadcast shutdown; refuse new
     * emits; stop accepting connections; keep reading open connections until their clients are quiet
     * (or two thirds of the drain timeout pass) and close them; hand every record they decoded to the
     * channel; close the channel's senders so that the writer drains it to the end; final sync; close the journal;
     * stop the event loops and the runtime. All within the drain timeout: whatever could not be stored
     * by then is counted in {@link PipelineStats#lostRecords()}. Idempotent: a second call waits for
     * the first to finish.
     *
     * @throws IllegalStateException on an event loop or runtime worker thread
     */
    public PipelineStats shutdown() {
        if (Thread.currentThread() instanceof NonBlockingThread) {
            // it waits for the very threads a callback runs on; there is no asynchronous form to suggest
            throw new IllegalStateException("close()/shutdown() called on " + Thread.currentThread().getName()
                    + ", a logpipe thread (a stage's callback runs there); close the pipeline from another thread,"
                    + " e.g. CompletableFuture.runAsync(pipeline::close)");
        }
        boolean first;
        synchronized (lifecycleLock) {
            first = state == State.RUNNING;
            if (first) {
                state = State.DRAINING;
            }
        }
        if (!first) {
            return terminated.join(); // outside the lock: a later caller waits without holding it
        }
        long start = System.nanoTime();
        long budget = drainTimeout.toNanos();
        long deadline = start + budget;
        long connectionsDone = start;
        long writerDone = start;
        try {
            if (sink.journalState() != JournalState.FAILED) {
                // from now on, what connections cannot hand over is lost to the drain timeout
                counters.closedReason(LostReason.DRAIN_TIMEOUT);
            }
            ingress.close();
            shutdownBroadcast.send(new ShutdownSignal("close()"));
            shutdownBroadcast.close();

            // Connections: let them drain; force them closed if they take too long, keeping time for
            // the writer to store what they decoded.
            CompletableFuture<Void> connections = CompletableFuture.allOf(serversDrained.toArray(new CompletableFuture[0]));
            if (!awaitUntil(connections, deadline - budget / 4)) {
                int left = 0;
                for (TcpServer s : servers) {
                    left += s.unfinishedConnections();
                    s.forceCloseAll();
                }
                LOG.warn("{} connection(s) still draining after {} ms; closing them", left,
                        (System.nanoTime() - start) / 1_000_000);
                if (!awaitUntil(connections, deadline - budget / 8)) {
                    LOG.error("connections did not hand over their records in time; what they still hold ({} record(s)"
                            + " now) is stored if the channel takes it before the drain timeout, else counted as lost"
                            + " (drain_timeout)", counters.pendingRecords.sum());
                }
            }

            connectionsDone = System.nanoTime();
            // Every producer handle closed: the writer sees the end of the stream once it has drained.
            tcpSender.close();
            embeddedSender.close();
            receiverIngresses.forEach(ReceiverIngress::close);
            channel.sender().close();

            if (!awaitUntil(sink.terminated().toCompletableFuture(), deadline)) {
                JournalState writerState = sink.journalState();
                // Give up: the writer fails what it holds and what is queued, counted as abandoned, and ends.
                sink.abandon();
                if (awaitUntil(sink.terminated().toCompletableFuture(), System.nanoTime() + ABANDON_WAIT.toNanos())) {
                    sink.close();
                }
                long abandoned = sink.stats().abandonedRecords();
                if (writerState == JournalState.STOPPED && abandoned == 0) {
                    // its loop had ended: every record it took is written (or failed, and counted so)
                    LOG.warn("the journal writer had stored every record but was still finishing after the drain timeout"
                            + " {}: its final sync, or callbacks on the records' stages holding the runtime's workers"
                            + " (a callback must not block)", drainTimeout);
                } else {
                    LOG.error("the journal writer did not drain within the drain timeout {}{}; {} record(s) were not stored"
                                    + " and are counted as lost (drain_timeout); raise --drain-timeout if the disk is slow",
                            drainTimeout, writerState == JournalState.PAUSED ? " (paused: its file system is short of space)" : "",
                            abandoned);
                }
            } else {
                sink.close(); // final sync already done by the writer's end; close() releases the queue
            }
            writerDone = System.nanoTime();
        } catch (RuntimeException e) {
            LOG.error("error during graceful shutdown", e);
        } finally {
            stopThreads(deadline);
            state = State.TERMINATED;
            PipelineStats last = settle(stats());
            terminated.complete(last);
            long end = System.nanoTime();
            Map<SourceFormat, Long> perFormat = new EnumMap<>(SourceFormat.class);
            last.receivedRecords().forEach((f, n) -> {
                if (n > 0) {
                    perFormat.put(f, n);
                }
            });
            if (last.lostRecords() > 0) {
                // the one total that the summary, /metrics and stats also show
                LOG.error("{} accepted record(s) were not stored and are counted as lost: {}", last.lostRecords(),
                        last.lostByReason());
            }
            (quiet ? LOG.atDebug() : LOG.atInfo()).log("logpipe stopped in {} ms (connections {} ms, journal {} ms, threads {} ms): received {} record(s) {}, "
                            + "written {}, lost {} {}, rejected {}",
                    (end - start) / 1_000_000, (connectionsDone - start) / 1_000_000,
                    Math.max(0, writerDone - connectionsDone) / 1_000_000, Math.max(0, end - writerDone) / 1_000_000,
                    last.receivedTotal(), perFormat, last.writtenRecords(), last.lostRecords(), last.lostByReason(), last.rejected());
        }
        return terminated.join();
    }

    /**
     * The final books: once the threads are stopped nothing still in flight will be stored (connection
     * FIFOs on stopped event loops, or a writer that did not end even when abandoned), so it is lost
     * to the drain timeout; in flight is 0 afterwards.
     */
    private static PipelineStats settle(PipelineStats s) {
        if (s.inFlightRecords() == 0) {
            return s;
        }
        LOG.error("{} record(s) were still in flight when the pipeline stopped; counted as lost (drain_timeout)",
                s.inFlightRecords());
        Map<LostReason, Long> lost = new EnumMap<>(LostReason.class);
        lost.putAll(s.lostByReason());
        lost.merge(LostReason.DRAIN_TIMEOUT, s.inFlightRecords(), Long::sum);
        return new PipelineStats(s.state(), s.receivedRecords(), s.receivedBytes(), s.rejected(), s.truncated(),
                s.sink(), s.durableIndex(), s.channelDepth(), s.channelCapacity(), s.activeConnections(),
                s.acceptedConnections(), s.refusedConnections(), s.idleClosedConnections(), s.tlsFailures(),
                s.backpressurePauses(), s.memoryPauses(), s.maxPendingPerConnection(), s.currentSegment(), lost, 0);
    }

    private void stopThreads(long deadline) {
        long remainingMillis = Math.max(500, (deadline - System.nanoTime()) / 1_000_000);
        // Close whatever is still open: stopping an event loop alone does not close its sockets.
        for (TcpServer s : servers) {
            s.stopAccepting();
            s.forceCloseAll();
        }
        closeReceivers(receivers);
        if (transport != null) {
            try {
                if (!transport.shutdown(Math.min(remainingMillis, 5_000))
                        // the final books need the loops stopped: a loop still decoding would count records
                        // received after the snapshot; a loop past its shutdown timeout ends its task soon
                        && !transport.shutdown(EVENT_LOOP_EXTRA_WAIT.toMillis())) {
                    LOG.warn("event loops did not stop in time; the final counts may miss records they decode later");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            runtime.shutdown(Duration.ofMillis(Math.min(remainingMillis, 5_000)));
        } catch (RuntimeException e) {
            LOG.warn("runtime shutdown failed", e);
        }
    }

    /** Closes each receiver (its sockets and threads); one that fails does not keep the others open. */
    private static void closeReceivers(List<Receiver> receivers) {
        for (Receiver r : receivers) {
            try {
                r.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the {} receiver failed", r.protocol(), e);
            }
        }
    }

    /** Waits for {@code f} until the nanoTime {@code deadline}; true if it completed (even exceptionally). */
    private static boolean awaitUntil(CompletableFuture<?> f, long deadline) {
        long wait = deadline - System.nanoTime();
        try {
            f.get(Math.max(0, wait), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            LOG.warn("shutdown step failed", e.getCause());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public String toString() {
        return "LogPipeline[" + dataDirectory + ", " + state + ", listeners=" + listenerAddresses() + "]";
    }

    /**
     * Builds and starts a {@link LogPipeline}. Methods without {@code set}; defaults resolved in
     * {@link #start()}.
     *
     * <p>Defaults: channel of 32,768 records and 16 MiB of their estimated heap; sync every 100 ms; the journal's roll cycle
     * and retention defaults (hourly, keep everything); drain timeout 30 s; no TCP listener; no JIT
     * warm-up ({@link #warmup}).
     *
     * <p>Threading: confined; use one builder from one thread.
     */
    public static final class Builder {
        private final Path dataDirectory;
        private int channelRecords = 32_768;
        private long channelBytes = 16L << 20;
        /** The journal's settings: {@link #journal} replaces them, the journal shortcuts below change them. */
        private JournalSettings.Builder journal = JournalSettings.builder();
        private Duration drainTimeout = Duration.ofSeconds(30);
        private Duration shutdownReadGrace; // null: two thirds of the drain timeout
        private int workerThreads;
        private int ioThreads;
        private boolean preferNativeTransport = true;
        private Duration emitMaxBlock = Duration.ofSeconds(60);
        private int emitAsyncWaiters = 1024;
        private SinkListener sinkListener;
        private final List<ListenerConfig> listeners = new ArrayList<>();
        private final List<Receiver> receivers = new ArrayList<>();
        private Duration warmup = Duration.ZERO;
        /** A warm-up's own pipeline: its start and stop are logged at debug, not info. */
        private boolean quiet;

        private Builder(Path dataDirectory) {
            this.dataDirectory = dataDirectory;
        }

        /**
         * The channel between ingest and the writer holds at most this many records (at least 1).
         * With {@link #channelCapacityBytes} it bounds memory whatever the offered load.
         */
        public Builder channelCapacityRecords(int records) {
            if (records < 1) {
                throw new IllegalArgumentException("channelCapacityRecords must be >= 1, got " + records);
            }
            this.channelRecords = records;
            return this;
        }

        /**
         * The channel holds records of at most about this many bytes of heap
         * ({@code LogRecord.heapBytes()}, an estimate), so this bounds the heap it takes when full.
         */
        public Builder channelCapacityBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("channelCapacityBytes must be >= 1, got " + bytes);
            }
            this.channelBytes = bytes;
            return this;
        }

        /**
         * The journal's settings, whole: sync policy, roll cycle, retention, batch size, free-space
         * reserve (see {@link JournalSettings} for each and its default). Replaces what the journal
         * shortcuts below set before; those that follow change this copy.
         */
        public Builder journal(JournalSettings settings) {
            this.journal = settings.toBuilder();
            return this;
        }

        /** When the journal syncs (default every 100 ms): {@link JournalSettings.Builder#syncPolicy}. */
        public Builder syncPolicy(SyncPolicy policy) {
            journal.syncPolicy(policy);
            return this;
        }

        /** Sync written records to disk every {@code interval}: {@link SyncPolicy#every}. */
        public Builder syncInterval(Duration interval) {
            journal.syncInterval(interval);
            return this;
        }

        /** Sync after every {@code bytes} written, the rest after 100 ms: {@link SyncPolicy#everyBytes(long)}. */
        public Builder syncEveryBytes(long bytes) {
            journal.syncEveryBytes(bytes);
            return this;
        }

        /** Sync after every batch the writer appends (safest, slowest): {@link SyncPolicy#everyBatch}. */
        public Builder syncEveryBatch() {
            journal.syncEveryBatch();
            return this;
        }

        /** Never sync while running (the OS writes back when it likes); durable futures then complete at close. */
        public Builder syncNever() {
            journal.syncNever();
            return this;
        }

        /** {@link JournalSettings.Builder#rollCycle}. */
        public Builder rollCycle(RollCycle cycle) {
            journal.rollCycle(cycle);
            return this;
        }

        /** {@link JournalSettings.Builder#retentionMaxAge}. */
        public Builder retentionMaxAge(Duration age) {
            journal.retentionMaxAge(age);
            return this;
        }

        /** {@link JournalSettings.Builder#retentionMaxBytes}. */
        public Builder retentionMaxBytes(long bytes) {
            journal.retentionMaxBytes(bytes);
            return this;
        }

        /** {@link JournalSettings.Builder#retentionHardMaxBytes}. */
        public Builder retentionHardMaxBytes(long bytes) {
            journal.retentionHardMaxBytes(bytes);
            return this;
        }

        /**
         * How long {@link LogPipeline#close()} waits for connections and the journal to drain (default
         * 30 s). When it runs out, close takes up to 5 s more: the journal writer fails what it still
         * holds (counted as lost, {@code drain_timeout}) and stops, then the threads stop.
         */
        public Builder drainTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("drainTimeout must be positive, got " + timeout);
            }
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * After {@code close()} begins, open connections are still read until their client has been
         * quiet for 100 ms, but no longer than this (default and maximum: two thirds of the drain
         * timeout, so that what clients sent before the shutdown is read and stored).
         */
        public Builder shutdownReadGrace(Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("shutdownReadGrace must not be negative, got " + grace);
            }
            this.shutdownReadGrace = grace;
            return this;
        }

        /** TaskRuntime worker threads (default: one per core). */
        public Builder workerThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("workerThreads must be >= 1, got " + n);
            }
            this.workerThreads = n;
            return this;
        }

        /** Netty event loops serving connections (default: one per core). */
        public Builder ioThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("ioThreads must be >= 1, got " + n);
            }
            this.ioThreads = n;
            return this;
        }

        /**
         * The longest an {@link Emitter#emit} call parks an ordinary calling thread while the channel
         * is full (default 60 s, like Kafka's {@code max.block.ms}); past it the returned stage fails
         * with {@link EmitFullException} and the record is not stored. Zero means never wait: a full
         * channel fails the emit at once.
         */
        public Builder emitMaxBlock(Duration maxBlock) {
            if (maxBlock.isNegative()) {
                throw new IllegalArgumentException("emitMaxBlock must not be negative, got " + maxBlock);
            }
            this.emitMaxBlock = maxBlock;
            return this;
        }

        /**
         * How many {@link Emitter#emit} calls made on threads that must not block (event loops,
         * runtime workers) may wait for room at once without a thread (default 1024); past it such an
         * emit fails at once with {@link EmitFullException}. Bounds the memory that waiting emits hold.
         */
        public Builder emitAsyncWaiters(int waiters) {
            if (waiters < 0) {
                throw new IllegalArgumentException("emitAsyncWaiters must be >= 0, got " + waiters);
            }
            this.emitAsyncWaiters = waiters;
            return this;
        }

        /** Use native epoll when available (default true); false forces NIO. */
        public Builder nativeTransport(boolean prefer) {
            this.preferNativeTransport = prefer;
            return this;
        }

        /**
         * Free bytes to keep on the journal's file system beyond each batch (default 16 MiB). With less,
         * the journal pauses: producers are slowed down, nothing is dropped, {@link LogPipeline#isReady()} is
         * false, and it resumes by itself when space returns. {@link JournalSettings.Builder#minFreeBytes}.
         */
        public Builder journalMinFreeBytes(long bytes) {
            journal.minFreeBytes(bytes);
            return this;
        }

        /** How often a journal paused for lack of space checks again: {@link JournalSettings.Builder#spaceCheckInterval}. */
        public Builder journalSpaceCheckInterval(Duration interval) {
            journal.spaceCheckInterval(interval);
            return this;
        }

        /** The file system whose free space the journal checks (default: the data directory's); for tests. */
        public Builder journalFileStore(FileStore store) {
            journal.fileStore(store);
            return this;
        }

        /** Adds a TCP listener (none by default: an embedded-only pipeline). */
        public Builder listener(ListenerConfig listener) {
            this.listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Adds an external receiver (none by default), e.g. the OTLP/HTTP receiver of the
         * {@code otlp-receiver} module: {@link #start()} starts it after the TCP listeners, and
         * {@link LogPipeline#close()} drains it with them and closes it. Its records go into the same
         * channel, counted in the same stats. See {@link Receiver} for the lifecycle.
         */
        public Builder receiver(Receiver receiver) {
            Objects.requireNonNull(receiver, "receiver");
            if (receivers.contains(receiver)) {
                throw new IllegalArgumentException("receiver " + receiver + " is already added");
            }
            this.receivers.add(receiver);
            return this;
        }

        /**
         * Receives the journal's events (batches, syncs, durability latency, rolls, retention, errors),
         * e.g. for histograms; counts are in {@link #stats()}, not here. Called on the writer or a
         * blocking-pool thread: cheap, never blocking.
         */
        public Builder sinkListener(SinkListener listener) {
            this.sinkListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Before {@link #start()} returns, spend up to {@code budget} warming up the JIT: a throwaway
         * pipeline with this channel and journal write settings, its journal in {@code warmup.tmp} of
         * the journal directory (up to ~120 MB for a moment; deleted afterwards, and a leftover of a
         * killed warm-up at the next start), takes synthetic records (up to 600,000) through
         * {@link Emitter#emit}, so the
         * application's first records meet compiled code instead of the interpreter: on two cores,
         * 4 threads emitting 250,000 records each ran 1.6-1.9x as fast from the first emit as cold
         * (bench/RESULTS.md). {@code start()} takes up to {@code budget} longer (about 1.25 times it
         * when the warm-up's journal cannot keep up) and the heap grows to what the warm-up used
         * (within {@code -Xmx}); nothing of it reaches this pipeline's journal, counters or sink
         * listener. The listeners' decoders are not warmed (a synthetic TCP warm-up measured no
         * gain). With less than 256 MiB free beside the journal's reserve it is skipped (logged at
         * info); a warm-up that fails logs a warning; either way the pipeline starts cold. Default:
         * zero, no warm-up; 2 s is enough on two cores.
         */
        public Builder warmup(Duration budget) {
            if (budget.isNegative()) {
                throw new IllegalArgumentException("warmup must not be negative, got " + budget);
            }
            this.warmup = budget;
            return this;
        }

        private static Duration min(Duration a, Duration b) {
            return a.compareTo(b) <= 0 ? a : b;
        }

        private static Duration max(Duration a, Duration b) {
            return a.compareTo(b) >= 0 ? a : b;
        }

        /** The journal settings {@link #start()} would use. */
        JournalSettings journalSettings() {
            return journal.build();
        }

        /** Whether records will come from listeners or receivers, not only from emitters. */
        boolean takesNetworkInput() {
            return !listeners.isEmpty() || !receivers.isEmpty();
        }

        /**
         * A warm-up's throwaway pipeline in {@code dir}: these journal write settings, the emit
         * settings (an emit blocks for a quarter of {@code budget} at most), a channel a sixteenth
         * the size, a drain of a quarter of the budget at most; no listeners, receivers or sink
         * listener.
         */
        Builder warmupCopy(Path dir, Duration budget) {
            Builder b = new Builder(dir);
            // A channel a sixteenth the size fills and empties over and over, so the code for a full
            // channel (emitters waiting for room, the writer waking them) is compiled too.
            b.channelRecords = Math.max(1, channelRecords / 16);
            b.channelBytes = Math.max(b.channelRecords, channelBytes / 16);
            b.journal = JitWarmup.journalFor(journal.build()).toBuilder();
            // A quarter of the budget at most for one blocked emit and for the drain at its close, so
            // that a warm-up whose journal cannot keep up (a file system short of space pauses
            // it) ends soon after its budget: emitting stops at three quarters of it.
            Duration quarter = max(budget.dividedBy(4), Duration.ofMillis(1));
            b.drainTimeout = min(quarter, Duration.ofSeconds(5));
            b.workerThreads = workerThreads;
            b.emitMaxBlock = min(emitMaxBlock, quarter);
            b.emitAsyncWaiters = emitAsyncWaiters;
            b.quiet = true;
            return b;
        }

        /**
         * Opens the journal, starts the writer and binds every listener.
         *
         * @throws IOException if the journal cannot be opened or a listener cannot bind; the message
         *     says which and what to do. Nothing is left running then.
         */
        public LogPipeline start() throws IOException {
            JournalSettings journalSettings = journal.build(); // frozen: later builder calls change nothing
            int cores = Runtime.getRuntime().availableProcessors();
            // One weighted channel bounds both: every record weighs at least bytes/records, so no more
            // than channelRecords fit, and big records count by their size.
            long minWeight = Math.max(1, channelBytes / channelRecords);
            TaskRuntime runtime = TaskRuntime.builder()
                    .workerThreads(workerThreads > 0 ? workerThreads : cores)
                    .threadNamePrefix("logpipe")
                    .build();
            Mpsc.Channel<AppendRequest> channel = Mpsc.weighted(channelBytes,
                    r -> Math.max(r.weight(), minWeight));
            PipelineCounters counters = new PipelineCounters();
            FileSink sink = null;
            Transport transport = null;
            List<TcpServer> servers = new ArrayList<>();
            MpscSender<AppendRequest> tcpSender = channel.sender().clone();
            List<Receiver> started = new ArrayList<>();
            List<ReceiverIngress> ingresses = new ArrayList<>();
            try {
                FileSink.Builder fb = FileSink.builder(dataDirectory).runtime(runtime)
                        .listener(sinkListener == null ? SinkListener.NOOP : sinkListener)
                        .settings(journalSettings)
                        .quiet(quiet);
                sink = fb.build();
                sink.start(channel.receiver());
                JitWarmup.Outcome warmedUp = null;
                if (!warmup.isZero()) {
                    // after the journal opened (a locked or unusable directory fails first), before binding
                    warmedUp = JitWarmup.run(this, warmup, dataDirectory.resolve(JitWarmup.DIR_NAME));
                }
                if (!listeners.isEmpty()) {
                    transport = Transport.start(ioThreads > 0 ? ioThreads : cores, preferNativeTransport, "logpipe");
                    for (ListenerConfig l : listeners) {
                        servers.add(TcpServer.bind(transport, l, tcpSender, counters, sink::requestSync));
                    }
                }
                for (Receiver r : receivers) {
                    ReceiverIngress ingress = new ReceiverIngress(r.protocol(), channel.sender().clone(), counters,
                            minWeight, runtime, sink::requestSync);
                    ingresses.add(ingress);
                    started.add(r); // closed on failure even if its start throws half way
                    r.start(ingress);
                }
                LogPipeline p = new LogPipeline(this, runtime, channel, sink, counters, transport,
                        servers, tcpSender, started, ingresses);
                p.warmupOutcome = warmedUp;
                (quiet ? LOG.atDebug() : LOG.atInfo()).log("logpipe started: journal {}, channel {} records / {} bytes, sync {}, listeners {} ({}){}",
                        dataDirectory.toAbsolutePath(), channelRecords, channelBytes, describeSync(journalSettings.syncPolicy()),
                        p.listenerAddresses(), p.transportName(),
                        started.isEmpty() ? "" : ", receivers " + started);
                return p;
            } catch (IOException | RuntimeException e) {
                for (TcpServer s : servers) {
                    s.stopAccepting();
                }
                closeReceivers(started);
                ingresses.forEach(ReceiverIngress::close);
                tcpSender.close();
                channel.sender().close();
                if (transport != null) {
                    try {
                        transport.shutdown(2_000);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (sink != null) {
                    try {
                        sink.close();
                    } catch (RuntimeException ce) {
                        e.addSuppressed(ce);
                    }
                }
                runtime.shutdown(Duration.ofSeconds(2));
                throw e;
            }
        }

        private String describeSync(SyncPolicy syncPolicy) {
            return switch (syncPolicy.kind()) {
                case INTERVAL -> "every " + syncPolicy.interval().toMillis() + " ms";
                case BYTES -> "every " + syncPolicy.bytes() + " bytes";
                case BATCH -> "every batch";
                case NEVER -> "never";
            };
        }
    }
}
