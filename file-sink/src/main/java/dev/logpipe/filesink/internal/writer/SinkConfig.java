package dev.logpipe.filesink.internal.writer;

import dev.logpipe.channels.BroadcastReceiver;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.SyncPolicy;
import dev.logpipe.filesink.internal.retention.RetentionPolicy;
import dev.logpipe.runtime.TaskRuntime;

import java.nio.file.FileStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * A journal sink's settings, frozen when {@link dev.logpipe.filesink.FileSink.Builder#build} runs:
 * what the builder was told, checked there.
 *
 * <p>Threading: immutable (the runtime, listener and signal are shared objects, not copied).
 *
 * @param dir the journal directory
 * @param runtime the runtime for syncs, retention and receipts; null: the sink makes a small one of its own
 * @param syncPolicy when to sync
 * @param rollCycle the roll cycle of a new journal
 * @param retention what retention keeps
 * @param retentionCheckInterval how often retention runs besides after rolls
 * @param batchSize the most records the writer takes at once
 * @param prefaultPages whether pages ahead of the writer are faulted in on the blocking pool
 * @param fileStore the journal's file system; null: the directory's own
 * @param minFreeBytes the free space to keep beyond each batch
 * @param spaceCheckInterval how often a paused writer looks at the free space again
 * @param clock the time that decides segments and retention
 * @param maxRecordBytes the largest encoded record the writer appends; a larger one is refused alone
 * @param listener hooks
 * @param shutdownSignal a broadcast whose message stops new sends; null: none
 * @param madvise the prefaulter's system call; null: this OS's (tests watch it through this)
 * @param quiet the writer's stop summary at debug instead of info (a throwaway journal's)
 */
public record SinkConfig(Path dir, TaskRuntime runtime, SyncPolicy syncPolicy, RollCycle rollCycle,
                         RetentionPolicy retention, Duration retentionCheckInterval, int batchSize,
                         boolean prefaultPages, FileStore fileStore, long minFreeBytes, Duration spaceCheckInterval,
                         Clock clock, int maxRecordBytes, SinkListener listener, BroadcastReceiver<?> shutdownSignal,
                         dev.logpipe.filesink.internal.queue.Madvise madvise, boolean quiet) {
}
