package dev.logpipe.otlp.internal;

import dev.logpipe.channels.NonBlockingThread;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * Makes the OTLP receiver's event loop threads, named {@code logpipe-otlp-N} (daemon), marked
 * {@link NonBlockingThread} so that a blocking channel call made on one fails loudly.
 *
 * <p>Threading: thread-safe.
 */
final class OtlpEventLoopThreadFactory extends DefaultThreadFactory {

    OtlpEventLoopThreadFactory() {
        super("logpipe-otlp", true);
    }

    @Override
    protected Thread newThread(Runnable task, String name) {
        return new LoopThread(threadGroup, task, name);
    }

    private static final class LoopThread extends FastThreadLocalThread implements NonBlockingThread {
        LoopThread(ThreadGroup group, Runnable task, String name) {
            super(group, task, name);
        }
    }
}
