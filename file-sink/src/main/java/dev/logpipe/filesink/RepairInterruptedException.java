package dev.logpipe.filesink;

import java.nio.file.Path;

/**
 * The journal directory is in the middle of an in-place repair's swap of files ({@link JournalRepair#inPlace}),
 * or a repair stopped there: until the swap is finished the directory holds parts of two journals, so
 * readers refuse it. The next writer start on the directory ({@code logpipe serve}, a {@link FileSink})
 * or in-place repair finishes the swap.
 *
 * <p>Threading: immutable once thrown.
 */
public final class RepairInterruptedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Path marker;

    /** @param marker the repair's marker file in the journal directory */
    public RepairInterruptedException(Path marker) {
        super("an in-place repair of " + marker.getParent() + " is swapping its files, or was stopped while it did ("
                + marker + "): until it finishes the directory holds parts of two journals; `logpipe serve` on it, or"
                + " `logpipe repair --in-place` of it, finishes the swap first");
        this.marker = marker;
    }

    /** The repair's marker file. */
    public Path marker() {
        return marker;
    }
}
