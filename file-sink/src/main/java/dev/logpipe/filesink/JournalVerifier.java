package dev.logpipe.filesink;

import dev.logpipe.filesink.internal.verify.Verification;

import java.nio.file.Path;

/**
 * Checks a journal: walks every record read-only (safe while a writer appends) and reports counts,
 * the first and last index and receive time, and any damage: records that do not decode, gaps in
 * the index sequence within a segment, segment files Chronicle cannot read, metadata missing.
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
     */
    public static VerifyReport verify(Path dir) {
        return Verification.run(dir);
    }
}
