package dev.logpipe.runtime;

/**
 * A snapshot of a {@link TaskRuntime}'s pools, for stats pages and tests.
 *
 * <p>Threading: an immutable value; thread-safe. The numbers are read one after another without
 * a common lock, so they are each exact at some instant but not necessarily at the same instant.
 *
 * @param workerThreads        size of the fixed worker pool
 * @param workerQueueDepth     runnables queued for the workers (tasks and continuations)
 * @param blockingThreads      live threads of the blocking pool
 * @param idleBlockingThreads  blocking threads waiting for work and not yet claimed by a task
 * @param blockingQueueDepth   blocking tasks waiting for a thread
 * @param blockedWorkerReports blocked-worker reports issued so far
 */
public record RuntimeMetrics(int workerThreads, int workerQueueDepth, int blockingThreads,
                             int idleBlockingThreads, int blockingQueueDepth, long blockedWorkerReports) {
}
