package dev.logpipe.filesink;

import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.filesink.internal.reader.JournalCursor;
import dev.logpipe.filesink.internal.reader.PositionFile;
import dev.logpipe.filesink.internal.repair.RepairSwap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A reader of a journal directory, in this process or another: it opens the journal read-only
 * (never changing a segment), starts where asked, and follows new records live across segment
 * rotations, returning each record once, in index order.
 *
 * <p>A <em>named</em> reader ({@link Builder#named}) saves its position after every record it
 * returns (in {@code readers/NAME.pos} under the journal), and a reader opened later with the same
 * name continues after the last record returned; the start set on the builder only applies the
 * first time. Retention does not delete a segment a named reader has not finished, unless the hard
 * byte limit forces it.
 *
 * <p>A reader named with {@link Builder#namedWithCommits} saves its position only when told
 * ({@link #commit}): for a consumer that hands records on and learns later that they arrived (a
 * forwarder), so retention keeps every record it has not committed however far it has read ahead.
 *
 * <p>Damage: every record's checksum is checked; a damaged region is reported once as a
 * {@link JournalDamageException} from {@link #next()} or {@link #poll}, and reading goes on after it
 * (in the same segment and the next ones). A damaged record is never returned.
 *
 * <p>Threading: confined; use a reader from one thread at a time.
 *
 * <p>Example:
 * <pre>{@code
 * try (JournalReader r = JournalReader.builder(dir).fromTime(Instant.now().minusSeconds(600)).build()) {
 *     for (ReadRecord rr; (rr = r.poll(Duration.ofSeconds(1))) != null; ) {
 *         System.out.println(rr.index() + " " + rr.record().message());
 *     }
 * }
 * }</pre>
 */
public final class JournalReader implements AutoCloseable {

    private final JournalCursor cursor;
    private final long resumedAfter;

    private JournalReader(JournalCursor cursor, long resumedAfter) {
        this.cursor = cursor;
        this.resumedAfter = resumedAfter;
    }

    /** A reader of {@code dir} from its first record. */
    public static JournalReader open(Path dir) {
        return builder(dir).build();
    }

    /** A builder for a reader of journal directory {@code dir}; starts at the first record unless told otherwise. */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /**
     * The next record, or {@code null} if there is none now. Never waits.
     *
     * @throws JournalDamageException after stepping over damage (a record whose checksum does not
     *     match, bytes that are no excerpt, a truncated segment), once per damaged region; the reader
     *     has moved past it and the next call returns the next valid record
     */
    public ReadRecord next() {
        return cursor.next();
    }

    /**
     * The next record, waiting up to {@code timeout} for one to be written; {@code null} if none came.
     * Waits with a low-CPU back-off: a short spin, then parks of up to 1 ms.
     *
     * @throws InterruptedException if interrupted while waiting
     * @throws JournalDamageException after stepping over damage, as {@link #next()}
     * @throws IllegalStateException if called on a runtime worker or event loop (it may wait)
     */
    public ReadRecord poll(Duration timeout) throws InterruptedException {
        NonBlockingThread.check("JournalReader.poll");
        long deadline = System.nanoTime() + timeout.toNanos();
        long park = 0;
        int spins = 0;
        while (true) {
            ReadRecord r = cursor.next();
            if (r != null) {
                return r;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (spins < 20) {
                spins++;
                Thread.onSpinWait();
            } else {
                park = park == 0 ? 20_000 : Math.min(park * 2, 1_000_000);
                LockSupport.parkNanos(Math.min(park, left));
            }
        }
    }

    /**
     * For a named reader that continued from its saved position (the builder's start did not
     * apply): the index of the last record it had returned before; -1 otherwise (unnamed, or named
     * and opened for the first time).
     */
    public long resumedAfter() {
        return resumedAfter;
    }

    /**
     * Saves {@code index} as the position of a reader built with {@link Builder#namedWithCommits}:
     * the last record its consumer is done with. Retention keeps the segment that holds it and every
     * later one. Saved to the page cache like every position; {@link #syncPosition()} forces it.
     *
     * @throws IllegalStateException if this reader was not built with {@code namedWithCommits}
     */
    public void commit(long index) {
        if (index < -1) {
            throw new IllegalArgumentException("index must be >= -1, was " + index);
        }
        cursor.commit(index);
    }

    /**
     * The number of records now in the journal with an index above {@code index} (every record for
     * -1), counted from the journal's indexes without reading them: a consumer's lag. Damaged records
     * count too. -1 when it cannot be counted (the journal is read byte by byte around damage).
     */
    public long recordsAfter(long index) {
        return cursor.recordsAfter(index);
    }

    /**
     * The saved position of named reader {@code name} in journal {@code dir}: the index of the last
     * record it returned (or committed), -1 if it has none yet; empty if there is no such reader.
     *
     * @throws DamagedPositionException if the reader's position file is damaged
     */
    public static java.util.OptionalLong savedPosition(Path dir, String name) {
        PositionFile.checkName(name);
        try {
            return PositionFile.read(dir, name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the position of reader " + name + " in " + dir, e);
        }
    }

    /** Whether the reader reads byte by byte now (after damage) rather than through Chronicle; for tests. */
    boolean readsBytes() {
        return cursor.readingBytes();
    }

    /** The index at which the next record will be read. */
    public long index() {
        return cursor.index();
    }

    /**
     * For a named reader, forces its saved position to disk (it is always saved to the page cache,
     * which survives a crash of this process but not of the machine). A no-op for unnamed readers.
     */
    public void syncPosition() {
        cursor.forcePosition();
    }

    /** Closes the reader and its files; idempotent. A named reader's position stays saved. */
    @Override
    public void close() {
        cursor.close();
    }

    /**
     * Builds a {@link JournalReader}. The last start method called wins.
     *
     * <p>Threading: confined.
     */
    public static final class Builder {
        private final Path dir;
        private JournalCursor.Start start = JournalCursor.Start.START;
        private long arg;
        private String name;
        private boolean commitOnly;

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
        }

        /** Start at the first record still in the journal. */
        public Builder fromStart() {
            start = JournalCursor.Start.START;
            return this;
        }

        /** Start after the last record now in the journal: read only what is written from now on. */
        public Builder fromEnd() {
            start = JournalCursor.Start.END;
            return this;
        }

        /** Start at the record with this index (or the first one left, if its segment was deleted). */
        public Builder fromIndex(long index) {
            if (index < 0) {
                throw new IllegalArgumentException("index must be >= 0, was " + index);
            }
            start = JournalCursor.Start.INDEX;
            arg = index;
            return this;
        }

        /**
         * Start at the first record received at or after {@code time}, found by binary search over receive
         * times, which are only roughly in index order (stamped before records meet in the pipeline's
         * channel, an embedded emit's before it waits for room): the start can be off by records received
         * within that jitter of {@code time} (README, "Time search").
         */
        public Builder fromTime(Instant time) {
            start = JournalCursor.Start.TIME;
            arg = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
            return this;
        }

        /** Start at the last {@code count} records (like {@code tail -n}). */
        public Builder fromLast(long count) {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, was " + count);
            }
            start = JournalCursor.Start.LAST;
            arg = count;
            return this;
        }

        /**
         * Makes this a named reader whose position persists: a reader opened again with this name
         * resumes after the last record it returned. Names: 1-100 of {@code [A-Za-z0-9._-]}.
         */
        public Builder named(String name) {
            this.name = PositionFile.checkName(name);
            this.commitOnly = false;
            return this;
        }

        /**
         * Makes this a named reader whose position is saved only by {@link JournalReader#commit}, not
         * for every record returned: retention keeps what the reader has read but not committed.
         * Unlike {@link #named}, the builder's start applies every time (the caller knows where it
         * resumes, e.g. from {@link JournalReader#savedPosition} or its own committed position), and
         * it is saved as the position at once: what lies before the start is done for this reader.
         */
        public Builder namedWithCommits(String name) {
            this.name = PositionFile.checkName(name);
            this.commitOnly = true;
            return this;
        }

        /**
         * Opens the reader.
         *
         * @throws IllegalArgumentException if {@code dir} is not a journal
         * @throws DamagedPositionException if a reader made {@link #named} has a damaged saved position
         * @throws ReaderInUseException if a reader made {@link #named} is open under that name already
         *     (in this process or another; a {@link #namedWithCommits} reader is not checked)
         * @throws RepairInterruptedException if an in-place repair of the journal is swapping files, or stopped
         *     while it did (see {@link JournalRepair#inPlace}): the directory holds parts of two journals
         */
        public JournalReader build() {
            RepairSwap.refuseIfInterrupted(dir);
            // the saved position before the cursor continues after it (-1: none yet, the start applies)
            long saved = -1;
            if (name != null && !commitOnly) {
                try {
                    saved = PositionFile.read(dir, name).orElse(-1L);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the position of reader " + name + " in " + dir, e);
                }
            }
            return new JournalReader(new JournalCursor(dir, start, arg, name, commitOnly), saved);
        }
    }
}
