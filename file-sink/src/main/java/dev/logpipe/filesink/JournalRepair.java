package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.internal.queue.ChronicleRollCycles;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.reader.PositionFile;
import dev.logpipe.filesink.internal.repair.RepairMaps;
import dev.logpipe.filesink.internal.repair.RepairSwap;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import dev.logpipe.filesink.internal.verify.Verification;
import dev.logpipe.filesink.internal.writer.DirectoryLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes every readable record of a journal, damaged or not, to a new sound journal: the same
 * records in the same order with their receive times and every other field, each source segment's
 * records in a segment of the same cycle. Indexes may change (records lost to damage leave no gap,
 * and Chronicle numbers records within a segment from 0): {@link Report#indexMap()} says how they map,
 * and the repaired journal keeps that map ({@code repairs/}, one per repair), so a position saved by
 * index elsewhere (a Kafka forwarder's) can be translated with {@link #translate}. Named readers'
 * positions are translated into the repaired journal. The source is only read, unless
 * {@link #inPlace} is asked for.
 *
 * <p>Threading: stateless, thread-safe; the methods block while they copy.
 */
public final class JournalRepair {

    private static final Logger LOG = LoggerFactory.getLogger(JournalRepair.class);

    /** Records being copied at most: in the channel to the writer, and written but not yet mapped. */
    static final int IN_FLIGHT_RECORDS = 4096;
    /** Their estimated heap at most, in the channel and again written but not yet mapped (records of up to 4 MiB). */
    static final long IN_FLIGHT_BYTES = 16L << 20;

    private JournalRepair() {
    }

    /**
     * Copies the readable records of the journal in {@code source} to a new journal in {@code target},
     * which must not exist or be empty.
     *
     * @throws IllegalArgumentException if {@code source} is not a journal or {@code target} is not empty
     */
    public static Report copy(Path source, Path target) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        RepairSwap.refuseIfInterrupted(source);
        if (Files.exists(target) && !isEmptyDir(target)) {
            throw new IllegalArgumentException(target + " is not empty; pass a new directory");
        }
        JournalMeta meta = JournalMeta.read(source).orElseThrow(() -> new IllegalArgumentException(
                "no logpipe journal in " + source + " (no " + JournalMeta.FILE_NAME + ")"));
        if (!meta.readable()) {
            throw meta.unreadable(source);
        }
        int generation;
        try {
            generation = RepairMaps.generation(source);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the repair maps of " + source + ": " + e.getMessage(), e);
        }
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(meta.rollCycle());
        SettableClock clock = new SettableClock();
        // bounded by the records' heap as serve's channel is, so big records cannot run the heap out
        Mpsc.Channel<AppendRequest> ch = Mpsc.weighted(IN_FLIGHT_BYTES,
                r -> Math.max(r.weight(), IN_FLIGHT_BYTES / IN_FLIGHT_RECORDS));
        FileSink sink = FileSink.builder(target).rollCycle(meta.rollCycle()).syncNever().timeProvider(clock)
                .prefaultPages(false).build();
        sink.start(ch.receiver());
        // in flight: source index and request, bounded so a big journal never sits in memory
        java.util.ArrayDeque<Object[]> inFlight = new java.util.ArrayDeque<>();
        List<IndexRange> map = new ArrayList<>();
        long[] copied = {0};
        long[] inFlightBytes = {0};
        int[] cycle = {Integer.MIN_VALUE};
        AppendRequest[] lastOfCycle = {null};
        VerifyReport before;
        try {
            before = Verification.run(source, (SegmentScanner.Rec r) -> {
                int c = rc.toCycle(r.index());
                if (c != cycle[0]) {
                    if (lastOfCycle[0] != null) {
                        await(lastOfCycle[0]); // the writer rolls by its clock: move it only once the cycle is written
                    }
                    cycle[0] = c;
                    clock.set(Instant.ofEpochMilli((long) c * rc.lengthInMillis()));
                }
                AppendRequest req = AppendRequest.withReceipt(r.record());
                try {
                    ch.sender().blockingSend(req);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while repairing " + source, e);
                }
                inFlight.addLast(new Object[] {r.index(), req});
                inFlightBytes[0] += req.weight();
                copied[0]++;
                lastOfCycle[0] = req;
                while (inFlight.size() > IN_FLIGHT_RECORDS || inFlightBytes[0] > IN_FLIGHT_BYTES
                        || !inFlight.isEmpty() && ((AppendRequest) inFlight.peekFirst()[1]).written().toCompletableFuture().isDone()) {
                    Object[] head = inFlight.removeFirst();
                    inFlightBytes[0] -= ((AppendRequest) head[1]).weight();
                    await((AppendRequest) head[1]);
                    mapOne(map, (Long) head[0], ((AppendRequest) head[1]).written().toCompletableFuture().join());
                }
            });
        } finally {
            ch.sender().close();
            sink.close();
        }
        WriterReport w = sink.terminated().toCompletableFuture().join();
        if (w.error() != null) {
            throw new IllegalStateException("writing the repaired journal to " + target + " failed: " + w.error().getMessage(),
                    w.error());
        }
        for (Object[] head : inFlight) {
            mapOne(map, (Long) head[0], ((AppendRequest) head[1]).written().toCompletableFuture().join());
        }
        VerifyReport after = JournalVerifier.verify(target);
        List<ReaderPosition> readers;
        try {
            readers = carryOver(source, target, generation, map);
            RepairSwap.syncTree(target); // the writer synced its segments; the maps and positions too, and their names
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the repair map or the readers' positions in " + target
                    + ": " + e.getMessage(), e);
        }
        return new Report(source, target, before, after, copied[0], map, readers, generation + 1, null);
    }

    /**
     * Gives {@code target} the source's repair maps and this repair's as the next, and every named
     * reader's position translated by it (a damaged one is left out; its reader starts afresh).
     */
    private static List<ReaderPosition> carryOver(Path source, Path target, int generation, List<IndexRange> map)
            throws IOException {
        for (int n = 1; n <= generation; n++) {
            Path to = RepairMaps.file(target, n);
            Files.createDirectories(to.getParent());
            Files.copy(RepairMaps.file(source, n), to);
        }
        RepairMaps.write(target, generation + 1, map);
        List<ReaderPosition> out = new ArrayList<>();
        for (String name : PositionFile.readAll(source).keySet()) {
            java.util.OptionalLong before;
            try {
                before = PositionFile.read(source, name);
            } catch (DamagedPositionException e) {
                out.add(new ReaderPosition(name, -2, -1));
                continue;
            }
            if (before.isEmpty()) {
                continue; // deleted meanwhile
            }
            long after = RepairMaps.translate(map, before.getAsLong());
            try (PositionFile p = PositionFile.open(target, name, false, false)) {
                p.lastRead(after);
            }
            out.add(new ReaderPosition(name, before.getAsLong(), after));
        }
        return out;
    }

    /**
     * How many repairs the journal in {@code dir} went through (each leaves its index map in
     * {@code dir/repairs/}), 0 for none. A position saved by index with the generation of its time
     * is translated to today's indexes by {@link #translate}.
     *
     * @throws IllegalStateException if the maps there are not numbered 1 to N
     * @throws RepairInterruptedException if an in-place repair of it is swapping files, or stopped while it did
     */
    public static int generation(Path dir) {
        RepairSwap.refuseIfInterrupted(dir);
        try {
            return RepairMaps.generation(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the repair maps of " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Translates a position saved when the journal in {@code dir} was at repair generation
     * {@code since} (the index of the last record done, -1 for none) to today's indexes: the index
     * the same record has now, or, if a repair dropped it, that of the last record before it a repair
     * kept; -1 if none was kept. Unchanged when there was no repair since.
     *
     * @throws IllegalStateException if {@code since} is above the journal's generation, or a map is
     *     missing or damaged
     */
    public static long translate(Path dir, long index, int since) {
        int now = generation(dir);
        if (since > now) {
            throw new IllegalStateException("the position " + index + " was saved after repair " + since + " of "
                    + dir + ", which records only " + now + " (its " + RepairMaps.DIR + " directory lost maps,"
                    + " or this is another journal)");
        }
        long at = index;
        for (int n = since + 1; n <= now && at >= 0; n++) {
            try {
                at = RepairMaps.translate(RepairMaps.read(dir, n), at);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the repair map " + RepairMaps.file(dir, n) + ": "
                        + e.getMessage(), e);
            }
        }
        return at;
    }

    /** Adds source index {@code from} written at {@code to} to the runs of {@code map}. */
    private static void mapOne(List<IndexRange> map, long from, long to) {
        IndexRange last = map.isEmpty() ? null : map.get(map.size() - 1);
        if (last != null && from == last.sourceLast() + 1 && to == last.targetLast() + 1) {
            map.set(map.size() - 1, new IndexRange(last.sourceFirst(), from, last.targetFirst()));
        } else {
            map.add(new IndexRange(from, from, to));
        }
    }

    /**
     * Repairs the journal in {@code dir} in place: copies its readable records to a new journal
     * beside it, checks that one, then moves the journal's files (segments, metadata, named readers'
     * positions and repair maps) into {@code dir/damaged-TIME/} and the repaired journal (with the
     * positions translated and the maps, this repair's added) into {@code dir}. Takes the directory's
     * writer lock for the whole time, so it refuses to run while a server writes there (readers it
     * does not stop: they should not run across it).
     *
     * <p>A crash at any point leaves a journal, never parts of two: the copy is synced before anything
     * moves, a marker ({@code repair-in-progress}) is synced before the first rename, and a swap that
     * stopped after it is finished by the next writer start on the directory ({@code serve}, a
     * {@link FileSink}) or in-place repair; readers refuse the directory meanwhile. A copy left by a
     * repair that stopped before the marker is deleted by either.
     *
     * @throws JournalLockedException if a writer holds the directory
     * @throws IllegalStateException if a named reader is open on it (see {@link JournalReader.Builder#named})
     */
    public static Report inPlace(Path dir) {
        return inPlace(dir, RepairSwap.Step.NONE);
    }

    /** {@link #inPlace(Path)}, with a hook after each step of the swap (tests play a crash there). */
    static Report inPlace(Path dir, RepairSwap.Step step) {
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now());
        Path tmp = dir.resolve(RepairSwap.COPY_PREFIX + stamp + RepairSwap.COPY_SUFFIX);
        Path aside = dir.resolve("damaged-" + stamp);
        for (int n = 2; Files.exists(aside) || Files.exists(tmp); n++) {
            tmp = dir.resolve(RepairSwap.COPY_PREFIX + stamp + "-" + n + RepairSwap.COPY_SUFFIX);
            aside = dir.resolve("damaged-" + stamp + "-" + n);
        }
        try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
            Optional<String> recovered = RepairSwap.recover(dir, DirectoryLock.FILE_NAME);
            recovered.ifPresent(LOG::warn);
            List<String> open = PositionFile.openReaders(dir);
            if (!open.isEmpty()) {
                throw new IllegalStateException("named reader" + (open.size() == 1 ? " " : "s ") + open + " of " + dir
                        + " " + (open.size() == 1 ? "is" : "are") + " open (tail --name, or a JournalReader): stop "
                        + (open.size() == 1 ? "it" : "them") + " first; the journal was left as it was");
            }
            Report r = copy(dir, tmp);
            if (!r.after().ok()) {
                throw new IllegalStateException("the repaired copy in " + tmp + " does not verify clean; "
                        + "the journal in " + dir + " was left as it was");
            }
            List<String> originals = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (n.endsWith(".cq4") || n.equals(Verification.METADATA_FILE) || n.equals(JournalMeta.FILE_NAME)
                            || n.equals(PositionFile.DIR) || n.equals(RepairMaps.DIR)) {
                        originals.add(n);
                    }
                }
            }
            originals.sort(null);
            // the copy synced, a marker, the originals aside, the copy in: a crash anywhere leaves either the
            // original journal untouched or a swap the next writer start (or repair) finishes
            RepairSwap.swap(dir, tmp, aside, originals, DirectoryLock.FILE_NAME, step);
            VerifyReport after = JournalVerifier.verify(dir);
            return new Report(dir, dir, r.before(), after, r.records(), r.indexMap(), r.readers(), r.generation(), aside);
        } catch (IOException e) {
            throw new UncheckedIOException("repairing " + dir + " in place failed: " + e.getMessage()
                    + (Files.exists(dir.resolve(RepairSwap.MARKER))
                            ? " (while swapping files: the next `logpipe serve` on it, or `logpipe repair --in-place` of it,"
                                    + " finishes the swap; the original files are in " + aside + " or still in " + dir + ")"
                            : " (the journal in " + dir + " was left as it was)"), e);
        }
    }

    private static void await(AppendRequest req) {
        try {
            req.written().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while repairing", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("writing the repaired journal failed: " + e, e);
        }
    }

    private static boolean isEmptyDir(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
            return !ds.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * What a repair did.
     *
     * @param source the journal read
     * @param target the journal written
     * @param before the source's verify report: its damage is what was dropped, and where
     * @param after the verify report of the journal written (clean unless something is very wrong)
     * @param records records copied
     * @param indexMap how source indexes map to target indexes, in runs
     * @param readers the named readers' positions, translated into the target
     * @param generation the target's repair generation: this repair's map is {@code repairs/} number
     *     {@code generation} in it
     * @param movedAside for an in-place repair, where the original files went; else null
     */
    public record Report(Path source, Path target, VerifyReport before, VerifyReport after, long records,
                         List<IndexRange> indexMap, List<ReaderPosition> readers, int generation, Path movedAside) {
        public Report {
            indexMap = List.copyOf(indexMap);
            readers = List.copyOf(readers);
        }

        /** This repair's index map, kept in the target. */
        public Path mapFile() {
            return RepairMaps.file(target, generation);
        }
    }

    /**
     * A named reader's position carried into the repaired journal.
     *
     * @param name the reader's name
     * @param before its last read index in the source (-1: none yet), or -2 if its position file was
     *     damaged (then it was not carried over)
     * @param after its last read index in the target: the same record's index, or that of the last
     *     record before it that was kept; -1 if none
     */
    public record ReaderPosition(String name, long before, long after) {
        /** Whether the position file was damaged and left out. */
        public boolean damaged() {
            return before == -2;
        }
    }

    /**
     * A run of consecutive source indexes copied to consecutive target indexes.
     *
     * @param sourceFirst the first source index
     * @param sourceLast the last source index
     * @param targetFirst the target index of {@code sourceFirst}
     */
    public record IndexRange(long sourceFirst, long sourceLast, long targetFirst) {
        /** The target index of {@code sourceLast}. */
        public long targetLast() {
            return targetFirst + (sourceLast - sourceFirst);
        }
    }

    /** The writer's clock: set to each source segment's cycle, so records land in a segment of the same cycle. */
    private static final class SettableClock extends Clock {
        private volatile Instant now = Instant.EPOCH;

        void set(Instant t) {
            now = t;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
