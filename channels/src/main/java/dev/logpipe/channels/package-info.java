/**
 * Channels with Tokio's semantics: {@link dev.logpipe.channels.Oneshot oneshot},
 * {@link dev.logpipe.channels.Mpsc mpsc} (bounded, weighted, unbounded),
 * {@link dev.logpipe.channels.Broadcast broadcast} and {@link dev.logpipe.channels.Watch watch}.
 *
 * <p>Every operation comes in up to three forms: {@code tryX} never waits and returns a result
 * value; {@code x} returns a {@link java.util.concurrent.CompletionStage} and never blocks a
 * thread; {@code blockingX} parks the calling thread and refuses to run on a
 * {@link dev.logpipe.channels.NonBlockingThread}. Every handle is {@link AutoCloseable}, its
 * {@code close()} is idempotent, sender clones are counted, and {@code null} values are refused
 * with a {@link NullPointerException}. A failed send always hands the value back. A pending
 * asynchronous operation whose future the caller cancels consumes nothing and loses nothing.
 *
 * <p>Happens-before: whatever a thread wrote before a successful send is visible to the thread
 * that observes the value through the matching receive (including the thread that runs a
 * continuation of the receive's stage).
 */
package dev.logpipe.channels;
