package dev.logpipe.collector.internal.pipeline;

/**
 * What the pipeline broadcasts to its components when graceful shutdown begins.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param reason why (e.g. {@code "close()"}), for logs
 */
public record ShutdownSignal(String reason) {
}
