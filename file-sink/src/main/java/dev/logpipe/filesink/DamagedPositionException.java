package dev.logpipe.filesink;

import java.nio.file.Path;

/**
 * A named reader's saved position ({@code readers/NAME.pos}) does not check out: neither of its
 * slots holds a valid save. The reader refuses to open rather than resume at an index nobody saved;
 * deleting the file makes the reader start as its start options say. The journal itself is not
 * touched by it.
 *
 * <p>Threading: immutable once thrown.
 */
public final class DamagedPositionException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the position file
     * @param size its size in bytes
     */
    public DamagedPositionException(Path file, long size) {
        super("the saved position " + file + " is damaged (" + size + " bytes, no valid save in it): "
                + "delete it and the reader starts as its start options say");
        this.file = file;
    }

    /** The position file. */
    public Path file() {
        return file;
    }
}
