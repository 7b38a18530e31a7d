package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.NonBlockingThread;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * A Netty event-loop thread that is also a {@link NonBlockingThread}: a {@code blockingX} channel
 * call made on it by mistake throws at once instead of stalling every connection of the loop.
 *
 * <p>Threading: a thread; nothing to share.
 */
final class EventLoopThread extends FastThreadLocalThread implements NonBlockingThread {

    EventLoopThread(ThreadGroup group, Runnable task, String name) {
        super(group, task, name);
    }
}
