package dev.logpipe.collector;

/**
 * How far a record must have gone before an {@link Emitter} call reports it done.
 *
 * <p>A record is <em>accepted</em> once it is in the pipeline's channel, <em>written</em> once the
 * journal writer has appended it (it survives a crash of the process), <em>durable</em> once a sync
 * covering it has completed (it survives a crash of the machine).
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum Durability {
    /** Appended to the journal (in the page cache; survives a process crash, not a power loss). */
    WRITTEN,
    /** Synced to disk (survives a power loss). Waits for the next sync: up to the sync interval. */
    DURABLE
}
