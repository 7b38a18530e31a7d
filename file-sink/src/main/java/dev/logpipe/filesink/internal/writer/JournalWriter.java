package dev.logpipe.filesink.internal.writer;

import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.channels.TryRecv;
import dev.logpipe.channels.WatchSender;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.JournalWriteException;
import dev.logpipe.filesink.RecordTooLargeException;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.Segment;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.SyncPolicy;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.QueueEnds;
import dev.logpipe.filesink.internal.scan.SegmentLink;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The journal's single writer: the loop of the {@value #THREAD_NAME} thread. It receives batches of
 * {@link AppendRequest}s from the ingest channel, appends each record to Chronicle Queue (one
 * excerpt per record, in the {@link RecordCodec} layout), completes receipts in one runtime task per
 * batch, notices segment rolls, and asks the {@link SyncCoordinator} for syncs by policy. It never
 * forces anything to disk itself.
 *
 * <p>It ends when its input reaches end of stream (all senders closed, or the receiver closed by
 * shutdown or after an error, and drained). After a write error it closes the input, so producers
 * get {@code Closed} with their record back, and fails the receipts of what it still drains.
 *
 * <p>Lack of space is not an error: before taking from the channel the {@link SpaceGuard} checks that
 * the file system holds the reserve, and before appending a batch that it holds the batch plus the
 * reserve; if not, the writer pauses (with the batch in hand, if any) and takes nothing more from the
 * channel until there is room, then appends it and goes on, in order.
 * {@link #abandon} (a shutdown out of time) makes it fail what it holds and drains instead.
 *
 * <p>Threading: {@link #run} runs on the writer thread; the Chronicle appender is confined to it.
 */
public final class JournalWriter implements Runnable {

    /** The writer thread's name. */
    public static final String THREAD_NAME = "logpipe-journal-writer";

    private static final Logger LOG = LoggerFactory.getLogger(JournalWriter.class);

    /**
     * The writer's settings.
     *
     * @param dir the journal directory
     * @param rollCycle its roll cycle
     * @param batchSize the most records taken from the channel at once
     * @param syncPolicy when to ask for syncs (every batch, every so many bytes; the timer is elsewhere)
     * @param maxRecordBytes the largest encoded record appended; a larger one is refused alone
     */
    public record Config(Path dir, RollCycle rollCycle, int batchSize, SyncPolicy syncPolicy, int maxRecordBytes) {
    }

    /**
     * What the writer works with besides its settings.
     *
     * @param queue the journal queue, opened for writing
     * @param input the ingest channel's receiving end
     * @param receiptTasks completes receipts on a runtime worker
     * @param counters the journal's counters
     * @param state what the writer shares with sync and retention
     * @param sync asks for syncs and hands durable receipts over
     * @param listener hooks (already made safe)
     * @param segments the current segment, published on every roll
     * @param receipts a request's receipt future, or null
     * @param encodedBodies a request's record already in the record layout (an {@code EncodedRecord}'s bytes), or null
     * @param onRoll run after every roll (retention)
     * @param prefaulter faults pages in ahead of the writer, or null
     * @param space the free-space check
     */
    public record Parts(SingleChronicleQueue queue, MpscReceiver<AppendRequest> input, ReceiptTasks receiptTasks,
                        WriterCounters counters, WriterState state, SyncCoordinator sync, SinkListener listener,
                        WatchSender<Segment> segments, Function<AppendRequest, CompletableFuture<Long>> receipts,
                        Function<AppendRequest, byte[]> encodedBodies, Runnable onRoll, PagePrefaulter prefaulter, SpaceGuard space) {
    }

    private final Path dir;
    private final RollCycle rollCycle;
    private final SingleChronicleQueue queue;
    private final MpscReceiver<AppendRequest> input;
    private final ReceiptTasks receiptTasks;
    private final WriterCounters counters;
    private final SyncCoordinator sync;
    private final SinkListener listener;
    private final WatchSender<Segment> segments;
    private final Function<AppendRequest, CompletableFuture<Long>> receipts;
    private final Function<AppendRequest, byte[]> encodedBodies;
    private final int batchSize;
    private final int maxRecordBytes;
    private final boolean syncEveryBatch;
    private final long syncEveryBytes;
    private final Runnable onRoll;
    private final RecordCodec codec = new RecordCodec();
    private final PagePrefaulter prefaulter;
    private final SpaceGuard space;

    private final CompletableFuture<Void> appenderReady = new CompletableFuture<>();
    /** The writer thread's appender, for the segment link written on a roll; confined to that thread. */
    private ExcerptAppender appender;
    private final WriterState state;
    private volatile boolean abandoned;
    private long bytesSinceSyncRequest;
    /** Records of the batch in hand neither appended nor failed yet (writer thread only). */
    private int unsettled;
    /**
     * What records and receipts fail with when the error that stopped the writer could not even be
     * reported (an OutOfMemoryError while making the report): made in advance, so failing them needs
     * no memory of its own.
     */
    private final JournalWriteException unreported;
    // the batch being appended (writer thread only): its bytes so far, and where its last record ends
    // (file offset, and the chunk) or -1 if that one was refused, when the sync's page-cache drop
    // then waits for the next batch
    private long batchBytes;
    private long batchLastEnd;
    private BytesStore<?, ?> batchEndChunk;

    public JournalWriter(Config config, Parts parts) {
        this.dir = config.dir();
        this.rollCycle = config.rollCycle();
        this.batchSize = config.batchSize();
        this.maxRecordBytes = config.maxRecordBytes();
        this.syncEveryBatch = config.syncPolicy().kind() == SyncPolicy.Kind.BATCH;
        this.syncEveryBytes = config.syncPolicy().kind() == SyncPolicy.Kind.BYTES ? config.syncPolicy().bytes() : 0;
        this.queue = parts.queue();
        this.input = parts.input();
        this.receiptTasks = parts.receiptTasks();
        this.counters = parts.counters();
        this.state = parts.state();
        this.sync = parts.sync();
        this.listener = parts.listener();
        this.segments = parts.segments();
        this.receipts = parts.receipts();
        this.encodedBodies = parts.encodedBodies();
        this.onRoll = parts.onRoll();
        this.prefaulter = parts.prefaulter();
        this.unreported = new JournalWriteException("the journal writer in " + config.dir() + " stopped on an error it"
                + " could not report (out of memory?); the record was not acknowledged (restart, with more heap)", null);
        this.space = parts.space();
        if (space != null) {
            state.space(space);
        }
    }

    /**
     * Any thread: stop storing. What the writer holds and what is still in the channel is failed and
     * counted as abandoned (not as an error); the writer then ends. For a shutdown out of time.
     */
    public void abandon() {
        abandoned = true;
        input.close();
        if (space != null) {
            space.wake();
        }
    }

    /**
     * Reads the queue's last index so the writer continues after the last complete record.
     *
     * @param damagedCycle the cycle of a last segment that ends in damage, or null; Chronicle cannot
     *     find the end of such a segment, so {@code lastValid}, found by reading its bytes, is used
     * @param lastValid the index of the last valid record in that segment, -1 if it has none
     */
    public void recoverPosition(Integer damagedCycle, long lastValid) {
        long last = damagedCycle == null ? QueueEnds.lastIndex(queue) : lastValid;
        if (damagedCycle != null && last < 0) {
            state.currentCycle(damagedCycle); // so the segment written next links to it
            sync.noteCycle(damagedCycle);
            return;
        }
        if (last >= 0) {
            counters.writtenIndex = last;
            int c = queue.rollCycle().toCycle(last);
            state.currentCycle(c);
            sync.noteCycle(c); // the previous run may have died before syncing it
            segments.send(new Segment(c, JournalQueues.segmentFile(dir, rollCycle, c),
                    JournalQueues.cycleStart(rollCycle, c), queue.rollCycle().toIndex(c, 0)));
        }
    }

    @Override
    public void run() {
        List<AppendRequest> batch = new ArrayList<>(batchSize);
        try (ExcerptAppender appender = queue.createAppender()) {
            this.appender = appender;
            counters.state = JournalState.WRITABLE; // before appenderReady: FileSink.start() returns on it
            appenderReady.complete(null);
            while (true) {
                batch.clear();
                if (state.failure() == null && !abandoned) {
                    awaitRoom(0); // below the reserve already: take nothing (and say so before the first record)
                }
                int n;
                try {
                    n = input.blockingRecvMany(batch, batchSize);
                } catch (InterruptedException e) {
                    // an interrupt asks us to stop taking new records; what is buffered is still drained
                    input.close();
                    continue;
                }
                if (n == 0) {
                    break; // end of stream
                }
                counters.heldRecords = n;
                unsettled = n;
                if (state.failure() == null && !abandoned) {
                    awaitRoom(batchBytes(batch));
                }
                if (state.failure() != null) {
                    failFrom(batch, 0);
                } else if (abandoned) {
                    abandonFrom(batch, 0);
                } else {
                    appendBatch(appender, batch);
                }
                unsettled = 0;
                counters.heldRecords = 0;
            }
        } catch (Throwable t) {
            // a bug or an error outside an append: an Error from a listener, an OutOfMemoryError
            // (the application may have taken the heap), closing the appender
            failAndDrain(t, batch);
        } finally {
            appenderReady.complete(null); // also when creating the appender failed: nobody waits forever
            if (state.failure() == null) {
                counters.state = JournalState.STOPPED;
            }
        }
    }

    private static long batchBytes(List<AppendRequest> batch) {
        long weight = 0;
        for (int i = 0, n = batch.size(); i < n; i++) {
            weight += batch.get(i).estimatedBytes();
        }
        return SpaceGuard.bytesFor(weight, batch.size());
    }

    /** Waits (paused) until the file system holds {@code bytes} plus the reserve, or a failure or abandon. */
    private void awaitRoom(long bytes) {
        if (space == null) {
            return;
        }
        try {
            space.awaitRoom(bytes, () -> state.failure() != null || abandoned, input::close);
        } catch (IOException | RuntimeException e) {
            fail(new JournalWriteException("cannot read the free space of the journal's file system in " + dir
                    + ": " + e + "; the writer stopped accepting records (check the volume, then restart)", e));
        }
    }

    /**
     * Waits until the writer has created its Chronicle appender (or failed to). Retention waits for
     * this: creating an appender walks the existing segments to put end-of-cycle markers on older
     * ones, and Chronicle 2026.4's store acquire checks that a segment file exists and then opens it
     * read-write, which creates it again if it was deleted in between: a segment deleted by a
     * retention pass during that walk could come back as an empty file.
     */
    public void awaitAppender() {
        appenderReady.join();
    }

    private void appendBatch(ExcerptAppender appender, List<AppendRequest> batch) {
        int n = batch.size();
        long last = -1;
        int appended = 0;
        long[] indices = null;
        batchBytes = 0;
        batchEndChunk = null;
        batchLastEnd = -1;
        for (int i = 0; i < n; i++) {
            AppendRequest req = batch.get(i);
            long index;
            try {
                index = appendOne(appender, req, i == n - 1);
            } catch (Throwable t) {
                fail(t);
                failFrom(batch, i);
                break;
            }
            if (index < 0) {
                continue; // refused: over the record size limit
            }
            last = index;
            appended++;
            int c = appender.cycle();
            if (c != state.currentCycle()) {
                roll(c, index);
            }
            if (receipts.apply(req) != null) {
                if (indices == null) {
                    indices = new long[n];
                    java.util.Arrays.fill(indices, -1);
                }
                indices[i] = index;
            }
        }
        unsettled = 0; // each was appended, refused or failed (and counted) above
        if (appended == 0) {
            return;
        }
        long bytes = batchBytes;
        BytesStore<?, ?> endChunk = batchEndChunk;
        counters.writtenPosition = new WriterCounters.WrittenPosition(state.currentCycle(), batchLastEnd);
        counters.writtenIndex = last; // publishes the appended records to the sync task
        counters.writtenRecords += appended;
        counters.writtenBytes += bytes;
        counters.batches++;
        sync.noteBatch(last, appended, batch.get(0).receiveTimeNanos());
        listener.onBatch(appended, bytes);
        boolean durableWaiters = indices != null && completeReceipts(batch, indices);
        bytesSinceSyncRequest += bytes;
        boolean policySync = syncEveryBatch || (syncEveryBytes > 0 && bytesSinceSyncRequest >= syncEveryBytes);
        // Someone waits for durable receipts: sync now rather than at the next interval. With a sync in
        // flight this only marks another to run right after it (group commit), so a client waiting for
        // acknowledgements keeps the disk busy, never idle between syncs. Under the policy "never" they
        // wait for the final sync, as that policy says.
        boolean syncNow = policySync || (durableWaiters && sync.syncsWhileRunning());
        if (endChunk != null) {
            // Before the sync is asked for, so that the pages behind leave the mapping first. Pages
            // populated writable are dirty zeros until written, and a sync writes those it finds: only
            // when busy (a batch at least half full) and no sync follows at once does the writer fill
            // them first.
            prefaulter.afterBatch(endChunk, batchLastEnd, n >= batchSize / 2 && !syncNow);
        }
        if (policySync) {
            bytesSinceSyncRequest = 0;
        }
        if (syncNow) {
            sync.request();
        }
    }

    /**
     * Appends one record of the batch and returns its index, or -1 if it was refused (over the size
     * limit); adds its bytes to {@link #batchBytes} and, for the batch's last record, notes where it
     * ends. A method of its own, not the body of {@link #appendBatch}'s loop: called once per record,
     * the JIT compiles it (and what it inlines, Chronicle's append) as soon as records flow, while a
     * loop body inside a method called once per batch waited a second behind other compilations on
     * two cores, running profiled C1 code meanwhile (bench/RESULTS.md, stop 34).
     */
    private long appendOne(ExcerptAppender appender, AppendRequest req, boolean lastOfBatch) {
        byte[] encoded = encodedBodies.apply(req);
        // a receiver's record arrives in the layout already: only its index and checksum are added
        int size = encoded != null ? codec.adopt(encoded) : codec.encodeBody(req.record());
        if (size > maxRecordBytes) {
            refuseOversize(req, size);
            return -1;
        }
        DocumentContext dc = appender.writingDocument();
        try {
            // the index Chronicle gives this excerpt, kept in the record so a reader past damage knows it
            batchBytes += codec.writeEncoded(dc.wire().bytes(), dc.index());
            if (lastOfBatch) {
                batchLastEnd = dc.wire().bytes().writePosition();
                if (prefaulter != null) {
                    batchEndChunk = dc.wire().bytes().bytesStore();
                }
            }
        } catch (Throwable t) {
            dc.rollbackOnClose(); // never leave half a record
            throw t;
        } finally {
            dc.close();
        }
        return appender.lastIndexAppended();
    }

    /** Hands the batch's receipts over; returns whether any of them waits for durability. */
    private boolean completeReceipts(List<AppendRequest> batch, long[] indices) {
        int written = 0;
        int durable = 0;
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] >= 0) {
                if (batch.get(i).receiptWhenDurable()) {
                    durable++;
                } else {
                    written++;
                }
            }
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Long>[] wFutures = new CompletableFuture[written];
        long[] wIdx = new long[written];
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Long>[] dFutures = new CompletableFuture[durable];
        long[] dIdx = new long[durable];
        int w = 0;
        int d = 0;
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] >= 0) {
                AppendRequest req = batch.get(i);
                if (req.receiptWhenDurable()) {
                    dFutures[d] = receipts.apply(req);
                    dIdx[d++] = indices[i];
                } else {
                    wFutures[w] = receipts.apply(req);
                    wIdx[w++] = indices[i];
                }
            }
        }
        if (durable > 0) {
            // in index order, one hand-over per batch; the sync that covers them completes them
            sync.awaitDurable(dIdx, dFutures, durable);
        }
        if (written > 0) {
            // one worker task per batch: the writer thread never runs users' callbacks
            receiptTasks.run(() -> {
                for (int i = 0; i < wFutures.length; i++) {
                    wFutures[i].complete(wIdx[i]);
                }
            });
        }
        return durable > 0;
    }

    private void roll(int cycle, long firstIndex) {
        int previous = state.currentCycle();
        boolean first = previous == Integer.MIN_VALUE;
        writeSegmentLink(first ? -1 : previous);
        state.currentCycle(cycle);
        sync.noteCycle(cycle);
        Segment s = new Segment(cycle, JournalQueues.segmentFile(dir, rollCycle, cycle),
                JournalQueues.cycleStart(rollCycle, cycle), firstIndex);
        segments.send(s);
        if (!first) {
            counters.rolls++;
        }
        listener.onRoll(s);
        onRoll.run();
    }

    /**
     * Puts the link to the previous segment into the one just started (a metadata excerpt, which
     * readers skip), so verify can tell a segment deleted from the middle from an idle hour.
     */
    private void writeSegmentLink(int previousCycle) {
        try (DocumentContext dc = appender.writingDocument(true)) {
            dc.wire().bytes().write(SegmentLink.encode(previousCycle));
        } catch (RuntimeException e) {
            LOG.warn("could not write the segment link in {} (verify cannot check this segment boundary): {}", dir, e.toString());
        }
    }

    /**
     * After an error that ended the loop: no record is taken any more, and none is left waiting for a
     * writer that is gone. Without this a sender blocked on the full channel waited out its own
     * timeout, and every receipt of the batch in hand and of what was still in the channel stayed
     * incomplete for good (an application out of heap saw its emits hang). The batch in hand has
     * its receipts failed (those of records already written too: they will never be acknowledged;
     * the ones not written count as failed); what the channel still holds is failed as the loop fails
     * records after a write error. Each step is tried on its own, so that another error (out of
     * memory again, say) in one does not skip the rest.
     */
    private void failAndDrain(Throwable t, List<AppendRequest> hand) {
        try {
            fail(t);
        } catch (Throwable again) {
            // reporting it failed too: record the failure with the report made in advance
            state.fail(unreported);
            counters.error(unreported);
        }
        input.close(); // fail() closes it too, unless it failed before that: wakes blocked senders with Closed
        try {
            failReceipts(hand, 0, state.failure() != null ? state.failure() : unreported); // one completed already stays
            counters.failedRecords += unsettled; // before the held count drops: a reader never sees them in neither
            unsettled = 0;
            counters.heldRecords = 0;
            List<AppendRequest> rest = new ArrayList<>();
            for (TryRecv<AppendRequest> r = input.tryRecv(); r instanceof TryRecv.Value<AppendRequest> v; r = input.tryRecv()) {
                rest.add(v.value());
            }
            failFrom(rest, 0);
        } catch (Throwable again) {
            LOG.error("failing the receipts of records the stopped journal writer did not store failed too", again);
        }
    }

    private void fail(Throwable t) {
        if (state.failure() != null) {
            return;
        }
        JournalWriteException ex = t instanceof JournalWriteException j ? j
                : new JournalWriteException("journal write failed in " + dir + ": " + t
                + "; the writer stopped accepting records (check free disk space and permissions, then restart)", t);
        state.fail(ex);
        counters.error(ex);
        LOG.error(ex.getMessage(), t);
        input.close(); // producers now get Closed with their record back instead of a silent drop
        listener.onError(ex);
    }

    /**
     * One record too large for the journal: not stored, its receipt failed, counted and logged (the
     * first, then every 1000th, so a sender of nothing but such records cannot flood the log); the
     * writer goes on with the next.
     */
    private void refuseOversize(AppendRequest req, int size) {
        long n = ++counters.oversizeRecords;
        if (n == 1 || n % 1000 == 0) {
            LOG.warn("refused a record of {} bytes encoded, over the journal's max record size of {} bytes"
                    + " ({} refused so far); raise it (serve: --max-frame) to store such records", size, maxRecordBytes, n);
        }
        CompletableFuture<Long> f = receipts.apply(req);
        if (f != null) {
            RecordTooLargeException ex = new RecordTooLargeException(size, maxRecordBytes);
            receiptTasks.run(() -> f.completeExceptionally(ex));
        }
    }

    private void failFrom(List<AppendRequest> batch, int from) {
        counters.failedRecords += batch.size() - from;
        failReceipts(batch, from, state.failure() != null ? state.failure() : unreported);
    }

    private void abandonFrom(List<AppendRequest> batch, int from) {
        counters.abandonedRecords += batch.size() - from;
        failReceipts(batch, from, new JournalWriteException("the journal writer was stopped (shutdown out of time)"
                + " before this record was stored", null));
    }

    /** Fails the receipts of {@code batch[from..]} with {@code ex}, on a runtime worker (not counted). */
    private void failReceipts(List<AppendRequest> batch, int from, JournalWriteException ex) {
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        for (int i = from; i < batch.size(); i++) {
            CompletableFuture<Long> f = receipts.apply(batch.get(i));
            if (f != null) {
                futures.add(f);
            }
        }
        if (!futures.isEmpty()) {
            receiptTasks.run(() -> futures.forEach(f -> f.completeExceptionally(ex)));
        }
    }
}
