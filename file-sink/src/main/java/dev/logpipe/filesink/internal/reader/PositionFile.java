package dev.logpipe.filesink.internal.reader;

import dev.logpipe.filesink.DamagedPositionException;
import dev.logpipe.filesink.ReaderInUseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The persisted position of a named reader: {@code readers/<name>.pos} in the journal directory, 64
 * bytes mapped into memory, little-endian: {@code int64 magic} ("LPPOS002"), 8 bytes zero, then two
 * slots of {@code int64 sequence, int64 last read index, int64 check} (the check mixes the other two).
 * A save goes to the slot the next sequence number picks, so the other still holds the save before
 * it; the valid slot with the higher sequence is the position. A process killed in the middle of a
 * save leaves that slot invalid and the position one save back (the record returned again: at least
 * once, as a kill between returning a record and saving it would). A file whose slots are both
 * invalid (a flipped bit, a foreign write) is damaged: a reader refuses it rather than resume at an
 * index nobody saved. Three stores into the mapping, so the position is saved after every record at
 * no cost and survives a crash of the reading process (the page cache keeps it).
 *
 * <p>Version 1 files (16 bytes, "LPPOS001" and the index, no check) are read, and rewritten as
 * version 2 when a reader opens them.
 *
 * <p>Threading: confined to the reader that owns it; {@link #readAll} is thread-safe.
 */
public final class PositionFile implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PositionFile.class);

    /** The sub-directory of the journal that holds position files. */
    public static final String DIR = "readers";
    private static final String SUFFIX = ".pos";
    private static final long MAGIC_V1 = 0x4C50504F53303031L; // "LPPOS001"
    private static final long MAGIC = 0x4C50504F53303032L; // "LPPOS002"
    private static final int SIZE = 64;
    private static final int SLOTS = 16;
    private static final int SLOT_SIZE = 24;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    private final FileChannel channel;
    private final MappedByteBuffer map;
    private final Lock lock;
    private long sequence;
    private long lastRead;

    private PositionFile(FileChannel channel, MappedByteBuffer map, long sequence, long lastRead, Lock lock) {
        this.channel = channel;
        this.map = map;
        this.sequence = sequence;
        this.lastRead = lastRead;
        this.lock = lock;
    }

    /** Checks a reader name: letters, digits, {@code . _ -}, 1 to 100 characters. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.startsWith(".")) {
            throw new IllegalArgumentException("reader name must be 1-100 letters, digits, '.', '_' or '-', not starting with '.': " + name);
        }
        return name;
    }

    /**
     * Opens (creating if absent) the position file of {@code name} in journal {@code dir}.
     *
     * @param overwriteDamaged whether a damaged file is taken as "nothing read yet" (for a reader whose
     *     start always applies) rather than refused
     * @param exclusive whether to claim the name while open ({@code NAME.lock} beside the file), so that
     *     a second reader under it (in any process) is refused
     * @throws DamagedPositionException if the file is damaged and {@code overwriteDamaged} is false
     * @throws ReaderInUseException if {@code exclusive} and another reader holds the file
     */
    public static PositionFile open(Path dir, String name, boolean overwriteDamaged, boolean exclusive) {
        checkName(name);
        Path file = dir.resolve(DIR).resolve(name + SUFFIX);
        try {
            Files.createDirectories(file.getParent());
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            Lock lock = null;
            try {
                if (exclusive) {
                    lock = Lock.take(file.getParent(), name);
                }
                ByteBuffer read = ByteBuffer.allocate((int) Math.min(ch.size(), SIZE));
                while (read.hasRemaining() && ch.read(read, read.position()) >= 0) {
                    // a read may return fewer bytes than asked for
                }
                byte[] old = Arrays.copyOf(read.array(), read.position());
                long last;
                long seq = 0;
                try {
                    long[] v = decode(old, file);
                    seq = v[0];
                    last = v[1];
                } catch (DamagedPositionException e) {
                    if (!overwriteDamaged) {
                        throw e;
                    }
                    last = -1;
                }
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, SIZE);
                m.order(ByteOrder.LITTLE_ENDIAN);
                PositionFile pf = new PositionFile(ch, m, seq, last, lock);
                if (seq == 0) {
                    // new, version 1 or damaged: both slots first (a version 1 file's 16 bytes stay as
                    // they were until then), then the magic that makes them count
                    pf.lastRead(last);
                    pf.lastRead(last);
                    m.putLong(0, MAGIC);
                    m.putLong(8, 0);
                }
                return pf;
            } catch (IOException | RuntimeException e) {
                ch.close();
                if (lock != null) {
                    lock.release();
                }
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open reader position " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * An open named reader's claim on its name: the operating system's lock on {@code NAME.lock} beside
     * the position file (released when its process ends, however it ends), and this JVM's own set of
     * held names. The lock is on a file nothing else opens: on Linux, closing any channel of a file
     * drops the process's locks on it, and the position file is read by others (retention, a second
     * reader's start); the set keeps a second claim in this JVM from opening the lock file at all.
     */
    private static final class Lock {
        private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

        private final Path key;
        private final FileChannel channel;

        private Lock(Path key, FileChannel channel) {
            this.key = key;
            this.channel = channel;
        }

        static Lock take(Path readersDir, String name) throws IOException {
            Path key = readersDir.toRealPath().resolve(name + ".lock");
            if (!HELD.add(key)) {
                throw new ReaderInUseException(name, key);
            }
            FileChannel ch = null;
            try {
                ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                if (ch.tryLock() == null) {
                    throw new ReaderInUseException(name, key);
                }
                return new Lock(key, ch);
            } catch (IOException | RuntimeException e) {
                if (ch != null) {
                    ch.close(); // no other channel of this JVM has this file open: HELD says so
                }
                HELD.remove(key);
                throw e;
            }
        }

        void release() {
            try {
                channel.close();
            } catch (IOException e) {
                // closed with the process at the latest
            } finally {
                HELD.remove(key);
            }
        }
    }

    /** The last index this reader returned, or -1 if none yet. */
    public long lastRead() {
        return lastRead;
    }

    /** Records that the reader returned the record at {@code index}. */
    public void lastRead(long index) {
        long seq = ++sequence;
        int at = SLOTS + (int) (seq & 1) * SLOT_SIZE;
        map.putLong(at + 8, index);
        map.putLong(at + 16, check(seq, index));
        map.putLong(at, seq);
        lastRead = index;
    }

    /** Flushes the position to disk (for a durable hand-off, e.g. before acknowledging upstream). */
    public void force() {
        map.force();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (lock != null) {
                lock.release();
            }
        }
    }

    /**
     * Every named reader's last read index in {@code dir} (-1 for a reader that read nothing yet). A
     * damaged position file counts as -1, which keeps every segment from retention, with a warning.
     */
    public static Map<String, Long> readAll(Path dir) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        Path d = dir.resolve(DIR);
        if (!Files.isDirectory(d)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*" + SUFFIX)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                String name = n.substring(0, n.length() - SUFFIX.length());
                try {
                    OptionalLong v = read(p);
                    if (v.isPresent()) {
                        out.put(name, v.getAsLong());
                    }
                } catch (DamagedPositionException e) {
                    LOG.warn("{}; retention keeps every segment for it", e.getMessage());
                    out.put(name, -1L);
                }
            }
        }
        return out;
    }

    /**
     * The named readers of {@code dir} that are open now (their name claimed, see {@link #open}), in
     * this process or another; readers whose start always applies do not claim their name.
     */
    public static List<String> openReaders(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        Path d = dir.resolve(DIR);
        if (!Files.isDirectory(d)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*.lock")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                String name = n.substring(0, n.length() - ".lock".length());
                try {
                    Lock.take(d, name).release();
                } catch (ReaderInUseException e) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /**
     * The saved position of reader {@code name} in {@code dir}: its last read index (-1: nothing read
     * yet), empty if there is no such reader.
     *
     * @throws DamagedPositionException if its position file is damaged
     */
    public static OptionalLong read(Path dir, String name) throws IOException {
        return read(dir.resolve(DIR).resolve(checkName(name) + SUFFIX));
    }

    private static OptionalLong read(Path p) throws IOException {
        byte[] b;
        try {
            b = Files.readAllBytes(p);
        } catch (java.nio.file.NoSuchFileException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(decode(b, p)[1]);
    }

    /**
     * {sequence, last read index} of a position file's bytes; {0, -1} for an empty file.
     *
     * @throws DamagedPositionException if they are not a valid position
     */
    private static long[] decode(byte[] b, Path file) {
        if (allZero(b)) {
            return new long[] {0, -1}; // created, killed before its first save was complete
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long magic = b.length >= 8 ? bb.getLong(0) : 0;
        if (magic == MAGIC_V1 && b.length >= 16) {
            return new long[] {0, bb.getLong(8)};
        }
        if (magic == MAGIC && b.length >= SIZE) {
            long bestSeq = 0;
            long best = 0;
            for (int slot = 0; slot < 2; slot++) {
                int at = SLOTS + slot * SLOT_SIZE;
                long seq = bb.getLong(at);
                long index = bb.getLong(at + 8);
                if (seq > bestSeq && (seq & 1) == slot && bb.getLong(at + 16) == check(seq, index)) {
                    bestSeq = seq;
                    best = index;
                }
            }
            if (bestSeq > 0 && best >= -1) {
                return new long[] {bestSeq, best};
            }
        }
        throw new DamagedPositionException(file, b.length);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** A 64-bit mix of a slot's sequence and index: a flipped bit in either changes about half its bits. */
    private static long check(long seq, long index) {
        long h = seq * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(index, 29) ^ 0x4C50504F53434B31L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h ^ index;
    }
}
