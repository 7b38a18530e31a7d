/**
 * How the runtime works: the worker pool, the blocking pool, task cells, the continuation
 * executor with its cooperative budget, and the blocked-worker watchdog.
 *
 * <p><b>Not API.</b> Nothing here is stable; other modules use {@code dev.logpipe.runtime} only.
 */
package dev.logpipe.runtime.internal;
