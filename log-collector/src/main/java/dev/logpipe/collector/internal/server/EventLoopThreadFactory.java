package dev.logpipe.collector.internal.server;

import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Makes {@link EventLoopThread}s named {@code <prefix>-N} (daemon), so that event loops refuse
 * blocking channel calls and a thread dump tells them apart.
 *
 * <p>Threading: thread-safe (Netty's {@link DefaultThreadFactory} counts atomically).
 */
final class EventLoopThreadFactory extends DefaultThreadFactory {

    EventLoopThreadFactory(String prefix) {
        super(prefix, true);
    }

    @Override
    protected Thread newThread(Runnable task, String name) {
        return new EventLoopThread(threadGroup, task, name);
    }
}
