package dev.logpipe.channels.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one daemon thread ({@code logpipe-channel-timer}) that fires the timeouts of asynchronous
 * channel operations. Tasks run on it must be short and never block.
 *
 * <p>Threading: thread-safe.
 */
final class ChannelTimer {
    private ChannelTimer() {
    }

    private static final class Holder {
        static final ScheduledThreadPoolExecutor TIMER = create();

        private static ScheduledThreadPoolExecutor create() {
            ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "logpipe-channel-timer");
                t.setDaemon(true);
                return t;
            });
            // Cancelled timeouts (the common case: the operation completed first) leave at once.
            ex.setRemoveOnCancelPolicy(true);
            return ex;
        }
    }

    static ScheduledFuture<?> schedule(Runnable task, long nanos) {
        return Holder.TIMER.schedule(task, nanos, TimeUnit.NANOSECONDS);
    }
}
