/**
 * A Tokio-style runtime for logpipe: a fixed pool of worker threads for tasks that never block,
 * a bounded, on-demand pool of threads for blocking calls, a timer, join handles, and a graceful
 * shutdown that reports what it left behind.
 *
 * <p>Start with {@link dev.logpipe.runtime.TaskRuntime#builder()}. Every public type states its
 * threading contract and which thread runs the callbacks it accepts.
 */
package dev.logpipe.runtime;
