package dev.logpipe.filesink;

import java.nio.file.Path;

/**
 * A named reader ({@link JournalReader.Builder#named}) is open already, in this process or another:
 * two readers under one name would each skip what the other took and write over each other's saved
 * position. The other one holds a lock on the lock file ({@code readers/NAME.lock}) until it closes (or its process ends).
 *
 * <p>Threading: immutable once thrown.
 */
public final class ReaderInUseException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param name the reader's name
     * @param file its lock file
     */
    public ReaderInUseException(String name, Path file) {
        super("reader '" + name + "' is in use by another reader (it holds " + file + "); close that one, or give"
                + " this one another name");
        this.file = file;
    }

    /** The lock file. */
    public Path file() {
        return file;
    }
}
