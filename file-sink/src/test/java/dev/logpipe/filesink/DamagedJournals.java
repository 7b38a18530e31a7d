package dev.logpipe.filesink;

import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import dev.logpipe.runtime.TaskRuntime;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * Test fixture: a small journal written by {@link FileSink} (3 minutely segments, 17 + 16 + 16 = 49
 * records, record n received at BASE + n ms with message "m" + n), its byte layout as read from the
 * files, and cheap copies of it to damage (segment files are sparse: only their data is copied).
 */
final class DamagedJournals {

    public static final int SEGMENTS = 3;
    public static final int TOTAL = 49;

    /** One record's excerpt in a segment file. */
    public record Excerpt(int segment, long position, long end, long index, long n, long dataEnd) {
    }

    private final Path pristine;
    private final List<Path> segmentFiles = new ArrayList<>();
    private final List<Excerpt> excerpts = new ArrayList<>();

    private DamagedJournals(Path pristine) {
        this.pristine = pristine;
    }

    /** Writes the journal into {@code dir} and reads its layout. */
    public static DamagedJournals write(Path dir) throws Exception {
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(2).threadNamePrefix("damage").build();
        try {
            writeSegments(dir, runtime);
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
        }
        DamagedJournals j = new DamagedJournals(dir);
        j.readLayout();
        return j;
    }

    private static void writeSegments(Path dir, TaskRuntime runtime) throws Exception {
        // 17 records in the first minute, 16 in each of the next two
        MutableClock clock = new MutableClock(Journals.BASE);
        FileSink sink = FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .prefaultPages(false).build();
        dev.logpipe.channels.Mpsc.Channel<AppendRequest> ch = dev.logpipe.channels.Mpsc.bounded(64);
        sink.start(ch.receiver());
        long n = 0;
        int[] per = {17, 16, 16};
        for (int s = 0; s < SEGMENTS; s++) {
            clock.set(Journals.BASE.plus(Duration.ofMinutes(s)));
            AppendRequest last = null;
            for (int i = 0; i < per[s]; i++) {
                last = AppendRequest.withReceipt(Journals.timed(n++));
                ch.sender().blockingSend(last);
            }
            last.written().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        ch.sender().close();
        sink.terminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void readLayout() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(pristine, "*.cq4")) {
            TreeSet<Path> sorted = new TreeSet<>();
            ds.forEach(sorted::add);
            segmentFiles.addAll(sorted);
        }
        if (segmentFiles.size() != SEGMENTS) {
            throw new IllegalStateException("expected " + SEGMENTS + " segments, got " + segmentFiles);
        }
        for (int s = 0; s < segmentFiles.size(); s++) {
            try (SegmentScanner sc = new SegmentScanner(segmentFiles.get(s), 0, Long.MAX_VALUE)) {
                for (SegmentScanner.Step st; !((st = sc.next(false)) instanceof SegmentScanner.End); ) {
                    if (!(st instanceof SegmentScanner.Rec r)) {
                        throw new IllegalStateException("pristine journal has damage: " + st);
                    }
                    excerpts.add(new Excerpt(s, r.position(), r.end(), r.index(), TestRecords.numberOf(r.record()),
                            r.position() + 4 + (headerAt(segmentFiles.get(s), r.position()) & 0x3FFF_FFFF)));
                }
            }
        }
        if (excerpts.size() != TOTAL) {
            throw new IllegalStateException("expected " + TOTAL + " records, got " + excerpts.size());
        }
    }

    private static int headerAt(Path file, long pos) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file)) {
            ch.read(bb, pos);
        }
        return bb.getInt(0);
    }

    public List<Excerpt> excerpts() {
        return excerpts;
    }

    /** The excerpts of segment {@code s}. */
    public List<Excerpt> excerpts(int s) {
        return excerpts.stream().filter(e -> e.segment() == s).toList();
    }

    public String segmentName(int s) {
        return segmentFiles.get(s).getFileName().toString();
    }

    private final java.util.concurrent.atomic.AtomicInteger copies = new java.util.concurrent.atomic.AtomicInteger();

    /** A copy of the journal in a new directory under {@code parent}, sparse like the original. */
    public Path freshCopy(Path parent) throws IOException {
        return copyTo(parent.resolve("copy-" + copies.incrementAndGet()));
    }

    /** A copy of the journal in {@code dir} (which must not exist), sparse like the original. */
    public Path copyTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(pristine)) {
            for (Path p : ds) {
                if (Files.isDirectory(p)) {
                    continue;
                }
                Path to = dir.resolve(p.getFileName());
                if (p.toString().endsWith(".cq4")) {
                    long size = Files.size(p);
                    int s = segmentFiles.indexOf(p);
                    long end = excerpts(s).stream().mapToLong(Excerpt::end).max().orElse(0);
                    long dataEnd = Math.min(size, (end + 2 * 4096 - 1) & -4096L); // the records, then what follows them

                    try (FileChannel in = FileChannel.open(p); FileChannel out = FileChannel.open(to,
                            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        in.transferTo(0, dataEnd, out);
                    }
                    try (RandomAccessFile raf = new RandomAccessFile(to.toFile(), "rw")) {
                        raf.setLength(size);
                    }
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return dir;
    }

    /** Segment {@code s}'s file in the copy {@code dir}. */
    public Path segment(Path dir, int s) {
        return dir.resolve(segmentName(s));
    }

    public static void zero(Path file, long from, long to) throws IOException {
        write(file, from, new byte[(int) (to - from)]);
    }

    public static void write(Path file, long at, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer bb = ByteBuffer.wrap(bytes);
            while (bb.hasRemaining()) {
                ch.write(bb, at + bb.position());
            }
        }
    }

    public static void flipBit(Path file, long at, int bit) throws IOException {
        byte[] b = new byte[1];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(b), at);
        }
        b[0] ^= (byte) (1 << bit);
        write(file, at, b);
    }

    public static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    public static void randomBytes(Path file, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Files.write(file, b);
    }

    /**
     * The position of the metadata excerpt (Chronicle's index array) that ends where {@code record}
     * begins, walking the segment's excerpt headers from its start in the pristine journal.
     */
    public long metadataBefore(Excerpt record) throws IOException {
        Path file = segmentFiles.get(record.segment());
        long p = 0;
        while (p < record.position()) {
            int h = headerAt(file, p);
            long next = (p + 4 + (h & 0x3FFF_FFFF) + 3) & ~3L;
            if (next == record.position()) {
                if ((h & 0x4000_0000) == 0) {
                    throw new IllegalStateException("the excerpt before " + record + " is not metadata: " + Integer.toHexString(h));
                }
                return p;
            }
            p = next;
        }
        throw new IllegalStateException("no excerpt ends at " + record);
    }

    /** Little-endian bytes of {@code v}, as Chronicle writes an excerpt header. */
    public static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** The record numbers whose excerpts overlap segment {@code s}'s bytes {@code [from, to)}. */
    public List<Long> hit(int s, long from, long to) {
        return excerpts.stream().filter(e -> e.segment() == s && e.position() < to && e.end() > from)
                .map(Excerpt::n).toList();
    }

    /** Every record number but {@code lost}, in order. */
    public static List<Long> allBut(List<Long> lost) {
        List<Long> out = new ArrayList<>();
        for (long n = 0; n < TOTAL; n++) {
            if (!lost.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }
}
