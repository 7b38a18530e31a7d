package dev.logpipe.collector.internal.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The socket transport of the server: native epoll where the platform has it, NIO otherwise.
 * One boss loop accepts for every listener; the worker loops serve the connections.
 *
 * <p>Threading: the groups are thread-safe; {@link #shutdown} may be called from any thread.
 */
public final class Transport {

    private final boolean epoll;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;

    private Transport(boolean epoll, int workerThreads, String prefix) {
        this.epoll = epoll;
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.boss = new MultiThreadIoEventLoopGroup(1, new EventLoopThreadFactory(prefix + "-accept"), factory);
        this.workers = new MultiThreadIoEventLoopGroup(workerThreads,
                new EventLoopThreadFactory(prefix + "-io"), factory);
    }

    /**
     * Starts the event loops.
     *
     * @param workerThreads number of connection event loops, at least 1
     * @param preferNative  use epoll when {@link Epoll#isAvailable()}; false forces NIO
     */
    public static Transport start(int workerThreads, boolean preferNative, String threadPrefix) {
        if (workerThreads < 1) {
            throw new IllegalArgumentException("workerThreads must be >= 1, got " + workerThreads);
        }
        return new Transport(preferNative && Epoll.isAvailable(), workerThreads, threadPrefix);
    }

    /** {@code "epoll"} or {@code "nio"}. */
    public String name() {
        return epoll ? "epoll" : "nio";
    }

    EventLoopGroup boss() {
        return boss;
    }

    EventLoopGroup workers() {
        return workers;
    }

    Class<? extends ServerSocketChannel> serverChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * Shuts both groups down without a quiet period (the pipeline drains connections before) and
     * waits up to {@code timeoutMillis} for their threads to end.
     *
     * @return whether both groups terminated in time
     */
    public boolean shutdown(long timeoutMillis) throws InterruptedException {
        boss.shutdownGracefully(0, timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(0, timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        boolean b = boss.awaitTermination(Math.max(0, deadline - System.nanoTime()),
                java.util.concurrent.TimeUnit.NANOSECONDS);
        boolean w = workers.awaitTermination(Math.max(0, deadline - System.nanoTime()),
                java.util.concurrent.TimeUnit.NANOSECONDS);
        return b && w;
    }
}
