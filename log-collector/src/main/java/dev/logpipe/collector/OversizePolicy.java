package dev.logpipe.collector;

/**
 * What a TCP listener does with a frame longer than its maximum frame size.
 *
 * <p>Either way the frame is counted (reason {@code oversize} for {@link #CLOSE}, a truncation for
 * {@link #TRUNCATE}).
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum OversizePolicy {
    /**
     * The default: keep the first {@code maxFrameBytes} bytes (cut back to a whole UTF-8 character),
     * flag the record {@code TRUNCATED}, and skip the rest of the frame up to its end.
     */
    TRUNCATE,
    /** Deliver the frames that came before, then close the connection. */
    CLOSE
}
