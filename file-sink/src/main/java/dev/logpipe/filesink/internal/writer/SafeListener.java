package dev.logpipe.filesink.internal.writer;

import dev.logpipe.filesink.Segment;
import dev.logpipe.filesink.SinkListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * Wraps a user's {@link SinkListener} so that an exception in a metrics hook is logged and never
 * stops the writer or a sync (which would leave durability waiters hanging).
 *
 * <p>Threading: as thread-safe as the wrapped listener.
 */
public final class SafeListener implements SinkListener {

    private static final Logger LOG = LoggerFactory.getLogger(SafeListener.class);

    private final SinkListener delegate;

    private SafeListener(SinkListener delegate) {
        this.delegate = delegate;
    }

    /** {@code l} wrapped, or {@code l} itself if it is the no-op listener. */
    public static SinkListener wrap(SinkListener l) {
        return l == SinkListener.NOOP || l instanceof SafeListener ? l : new SafeListener(l);
    }

    private static void failed(String hook, RuntimeException e) {
        LOG.warn("SinkListener.{} threw; ignored", hook, e);
    }

    @Override
    public void onBatch(int records, long bytes) {
        try {
            delegate.onBatch(records, bytes);
        } catch (RuntimeException e) {
            failed("onBatch", e);
        }
    }

    @Override
    public void onSync(long durationNanos, long durableIndex) {
        try {
            delegate.onSync(durationNanos, durableIndex);
        } catch (RuntimeException e) {
            failed("onSync", e);
        }
    }

    @Override
    public void onDurable(long records, long oldestReceiveTimeNanos, long nowNanos) {
        try {
            delegate.onDurable(records, oldestReceiveTimeNanos, nowNanos);
        } catch (RuntimeException e) {
            failed("onDurable", e);
        }
    }

    @Override
    public void onRoll(Segment newSegment) {
        try {
            delegate.onRoll(newSegment);
        } catch (RuntimeException e) {
            failed("onRoll", e);
        }
    }

    @Override
    public void onRetentionDelete(Path file, long bytes, boolean forcedByHardLimit) {
        try {
            delegate.onRetentionDelete(file, bytes, forcedByHardLimit);
        } catch (RuntimeException e) {
            failed("onRetentionDelete", e);
        }
    }

    @Override
    public void onError(Throwable t) {
        try {
            delegate.onError(t);
        } catch (RuntimeException e) {
            failed("onError", e);
        }
    }
}
