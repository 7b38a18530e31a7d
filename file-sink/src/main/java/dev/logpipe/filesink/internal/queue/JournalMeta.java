package dev.logpipe.filesink.internal.queue;

import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.internal.codec.RecordCodec;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    /** Name of the file in the journal directory. */
    public static final String FILE_NAME = "logpipe-journal.properties";

    /** Reads the file from {@code dir}, or empty if the directory holds none. */
    public static Optional<JournalMeta> read(Path dir) {
        Path f = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
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
                    + "); restore it with layoutVersion=1 and the journal's rollCycle", e);
        }
    }

    /**
     * The journal's metadata, writing it for a new journal. An existing journal keeps the roll
     * cycle it was created with (Chronicle would otherwise mix file name patterns in one directory).
     */
    public static JournalMeta openOrCreate(Path dir, RollCycle wanted) {
        Optional<JournalMeta> existing = read(dir);
        if (existing.isPresent()) {
            JournalMeta m = existing.get();
            if (m.layoutVersion() != RecordCodec.VERSION) {
                throw new IllegalStateException("journal " + dir + " has record layout version " + m.layoutVersion()
                        + " but this logpipe writes version " + RecordCodec.VERSION + "; use another data directory");
            }
            return m;
        }
        JournalMeta m = new JournalMeta(RecordCodec.VERSION, wanted);
        Properties p = new Properties();
        p.setProperty("layoutVersion", Integer.toString(m.layoutVersion()));
        p.setProperty("rollCycle", m.rollCycle().name());
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        try {
            Files.createDirectories(dir);
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "logpipe journal; see file-sink/FORMAT.md");
            }
            try {
                Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create journal in " + dir + ": " + e.getMessage()
                    + "; check that the directory is writable", e);
        }
        return m;
    }
}
