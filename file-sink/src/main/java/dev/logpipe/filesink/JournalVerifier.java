package dev.logpipe.filesink;

import dev.logpipe.filesink.internal.repair.RepairSwap;
import dev.logpipe.filesink.internal.verify.Verification;

import java.nio.file.Path;

/**
 * Checks a journal: reads every segment file byte by byte, read-only (safe while a writer appends),
 * and reports per segment its records and size, the first and last index and receive time, and any
 * damage, each with its segment, byte position and the indexes lost: a record whose checksum does
 * not match, bytes that are not a sound excerpt (zeroed or garbled, a header pointing past the data)
 * with records after them, a truncated segment, a segment missing from the middle (each segment
 * names the one written before it), a file that is not a segment, Chronicle's metadata missing or
 * unreadable. Damage never stops the walk: what follows it is read and counted. Records of layout
 * version 1 have no checksum; the report counts them as unchecked.
 *
 * <p>Threading: stateless, thread-safe; {@link #verify} blocks while it reads the journal.
 */
public final class JournalVerifier {

    private JournalVerifier() {
    }

    /**
     * Verifies the journal in {@code dir}.
     *
     * @throws IllegalArgumentException if {@code dir} is not a journal
     * @throws RepairInterruptedException if an in-place repair of it is swapping files, or stopped while it did
     *     (see {@link JournalRepair#inPlace})
     */
    public static VerifyReport verify(Path dir) {
        RepairSwap.refuseIfInterrupted(dir);
        return Verification.run(dir);
    }
}
