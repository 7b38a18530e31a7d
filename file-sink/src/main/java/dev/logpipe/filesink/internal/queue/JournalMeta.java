package dev.logpipe.filesink.internal.queue;

import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.internal.codec.RecordCodec;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The small properties file ({@value #FILE_NAME}) that says a directory is a logpipe journal, which
 * record layout version it holds and which {@link RollCycle} it was created with. Readers need the
 * roll cycle before they can open the Chronicle queue (Chronicle cannot look up logpipe's own
 * minutely cycle from its metadata).
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param layoutVersion the record layout version ({@link RecordCodec#VERSION})
 * @param rollCycle the roll cycle the journal was created with
 */
public record JournalMeta(int layoutVersion, RollCycle rollCycle) {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JournalMeta.class);

    /** Name of the file in the journal directory. */
    public static final String FILE_NAME = "logpipe-journal.properties";

    /**
     * Reads the file from {@code dir}, or empty if the directory holds none. A directory whose file is
     * gone but which holds segments is still a journal: its roll cycle is told by the segments' names
     * ({@link #inferred}); before, it read as "no journal", and a writer started on it wrote a new file
     * with its own default cycle, after which the journal read as empty.
     */
    public static Optional<JournalMeta> read(Path dir) {
        Path f = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(f)) {
            return inferred(dir);
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
        try {
            int version = Integer.parseInt(p.getProperty("layoutVersion", "").trim());
            RollCycle cycle = RollCycle.valueOf(p.getProperty("rollCycle", "").trim());
            return Optional.of(new JournalMeta(version, cycle));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(f + " is damaged (" + e.getMessage()
                    + "); restore it with layoutVersion=" + RecordCodec.VERSION + " and the journal's rollCycle", e);
        }
    }

    /**
     * The metadata of a journal that lost its file, from its segments' names: the one roll cycle whose
     * file names they all have, with the current layout version (each record says its own); empty when
     * there is no segment, or the names fit no cycle or more than one.
     */
    static Optional<JournalMeta> inferred(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        RollCycle found = null;
        for (RollCycle c : RollCycle.values()) {
            List<JournalQueues.SegmentFile> segs;
            try {
                segs = JournalQueues.listSegments(dir, c);
            } catch (IOException e) {
                return Optional.empty();
            }
            if (!segs.isEmpty()) {
                if (found != null) {
                    return Optional.empty(); // names of two cycles: not for us to choose
                }
                found = c;
            }
        }
        return found == null ? Optional.empty() : Optional.of(new JournalMeta(RecordCodec.VERSION, found));
    }

    /** True if this code reads records of the journal's layout version. */
    public boolean readable() {
        return layoutVersion >= RecordCodec.OLDEST_READABLE && layoutVersion <= RecordCodec.VERSION;
    }

    /** The error for a journal this code cannot read. */
    public IllegalStateException unreadable(Path dir) {
        return new IllegalStateException("journal " + dir + " has record layout version " + layoutVersion
                + "; this logpipe reads versions " + RecordCodec.OLDEST_READABLE + "-" + RecordCodec.VERSION
                + (layoutVersion > RecordCodec.VERSION ? "; upgrade logpipe" : "; check " + FILE_NAME));
    }

    /**
     * The journal's metadata, writing it for a new journal. An existing journal keeps the roll
     * cycle it was created with (Chronicle would otherwise mix file name patterns in one directory).
     * A journal of an older readable layout is upgraded: records say their own version, so new
     * records are written in the current layout after the old ones, and the file then names the
     * newest version the journal holds.
     */
    public static JournalMeta openOrCreate(Path dir, RollCycle wanted) {
        Optional<JournalMeta> existing = read(dir);
        if (existing.isPresent() && !Files.isRegularFile(dir.resolve(FILE_NAME))) {
            JournalMeta m = existing.get();
            LOG.warn("{} was missing in {}; written again from the segments' names: roll cycle {}", FILE_NAME, dir,
                    m.rollCycle());
            return write(dir, m);
        }
        if (existing.isPresent()) {
            JournalMeta m = existing.get();
            if (!m.readable()) {
                throw new IllegalStateException("journal " + dir + " has record layout version " + m.layoutVersion()
                        + " but this logpipe writes version " + RecordCodec.VERSION + "; use another data directory");
            }
            if (m.layoutVersion() == RecordCodec.VERSION) {
                return m;
            }
            return write(dir, new JournalMeta(RecordCodec.VERSION, m.rollCycle()));
        }
        return write(dir, new JournalMeta(RecordCodec.VERSION, wanted));
    }

    /** Writes {@code m} to {@code dir} atomically (a temporary file, then a rename). */
    public static JournalMeta write(Path dir, JournalMeta m) {
        Properties p = new Properties();
        p.setProperty("layoutVersion", Integer.toString(m.layoutVersion()));
        p.setProperty("rollCycle", m.rollCycle().name());
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        try {
            Files.createDirectories(dir);
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "logpipe journal; see file-sink/FORMAT.md");
            }
            // on disk before its name: a new file renamed into place can otherwise be empty after a power
            // loss, and the journal would not open until it was restored by hand
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // a directory cannot be opened on every OS; the writer syncs it again with its first segment
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create journal in " + dir + ": " + e.getMessage()
                    + "; check that the directory is writable", e);
        }
        return m;
    }
}
