package dev.logpipe.filesink.internal.reader;

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The persisted position of a named reader: {@code readers/<name>.pos} in the journal directory,
 * 16 bytes mapped into memory ({@code int64 magic}, {@code int64 last read index}, little-endian).
 * Saving is a single 8-byte store into the mapping, so the position is saved after every record at
 * no cost and survives a crash of the reading process (the page cache keeps it).
 *
 * <p>Threading: confined to the reader that owns it; {@link #readAll} is thread-safe.
 */
public final class PositionFile implements AutoCloseable {

    /** The sub-directory of the journal that holds position files. */
    public static final String DIR = "readers";
    private static final String SUFFIX = ".pos";
    private static final long MAGIC = 0x4C50504F53303031L; // "LPPOS001"
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    private final FileChannel channel;
    private final MappedByteBuffer map;

    private PositionFile(FileChannel channel, MappedByteBuffer map) {
        this.channel = channel;
        this.map = map;
    }

    /** Checks a reader name: letters, digits, {@code . _ -}, 1 to 100 characters. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.startsWith(".")) {
            throw new IllegalArgumentException("reader name must be 1-100 letters, digits, '.', '_' or '-', not starting with '.': " + name);
        }
        return name;
    }

    /** Opens (creating if absent) the position file of {@code name} in journal {@code dir}. */
    public static PositionFile open(Path dir, String name) {
        checkName(name);
        Path file = dir.resolve(DIR).resolve(name + SUFFIX);
        try {
            Files.createDirectories(file.getParent());
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            try {
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 16);
                m.order(ByteOrder.LITTLE_ENDIAN);
                if (m.getLong(0) != MAGIC) {
                    m.putLong(8, -1L);
                    m.putLong(0, MAGIC);
                }
                return new PositionFile(ch, m);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open reader position " + file + ": " + e.getMessage(), e);
        }
    }

    /** The last index this reader returned, or -1 if none yet. */
    public long lastRead() {
        return map.getLong(8);
    }

    /** Records that the reader returned the record at {@code index}. */
    public void lastRead(long index) {
        map.putLong(8, index);
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
        }
    }

    /** Every named reader's last read index in {@code dir} (-1 for a reader that read nothing yet). */
    public static Map<String, Long> readAll(Path dir) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        Path d = dir.resolve(DIR);
        if (!Files.isDirectory(d)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*" + SUFFIX)) {
            for (Path p : ds) {
                byte[] b;
                try {
                    b = Files.readAllBytes(p);
                } catch (java.nio.file.NoSuchFileException e) {
                    continue;
                }
                if (b.length < 16) {
                    continue;
                }
                ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                if (bb.getLong(0) != MAGIC) {
                    continue;
                }
                String n = p.getFileName().toString();
                out.put(n.substring(0, n.length() - SUFFIX.length()), bb.getLong(8));
            }
        }
        return out;
    }
}
