package dev.logpipe.otlp.internal;

import dev.logpipe.collector.ReceiverContext;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The OTLP/HTTP server: its event loops, the listening socket, the open connections, the bound on
 * requests in flight, and the drain.
 *
 * <p>Each connection: {@code [TLS] -> idle -> HTTP codec -> flow control -> OtlpHttpHandler}.
 *
 * <p>Threading: thread-safe. {@link #bind} and {@link #close()} block the caller (never an event loop);
 * the other methods return at once.
 */
public final class OtlpHttpServer {

    private final ServerSettings settings;
    private final ReceiverContext context;
    private final OtlpCounters counters;
    private final EventLoopGroup group;
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;
    private volatile Channel serverChannel;

    private OtlpHttpServer(ServerSettings settings, ReceiverContext context, OtlpCounters counters) {
        this.settings = settings;
        this.context = context;
        this.counters = counters;
        this.group = new MultiThreadIoEventLoopGroup(settings.ioThreads(), new OtlpEventLoopThreadFactory(),
                NioIoHandler.newFactory());
    }

    /**
     * Starts the event loops and binds.
     *
     * @throws IOException when the address cannot be bound; the message says what to do
     */
    public static OtlpHttpServer bind(ServerSettings settings, ReceiverContext context, OtlpCounters counters)
            throws IOException {
        OtlpHttpServer s = new OtlpHttpServer(settings, context, counters);
        try {
            s.doBind();
        } catch (IOException | RuntimeException e) {
            s.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        return s;
    }

    private void doBind() throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, 65_536))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        initConnection(ch);
                    }
                });
        ChannelFuture f = b.bind(settings.bindAddress(), settings.port()).awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            String where = settings.bindAddress() + ":" + settings.port();
            if (cause instanceof BindException || String.valueOf(cause.getMessage()).contains("in use")) {
                throw new IOException("cannot listen for OTLP on " + where + ": " + cause.getMessage()
                        + "; another process has the port: pass another --otlp-port (0 picks a free one)", cause);
            }
            throw new IOException("cannot listen for OTLP on " + where + ": " + cause.getMessage()
                    + "; check the bind address", cause);
        }
        serverChannel = f.channel();
    }

    private void initConnection(SocketChannel ch) {
        if (draining || counters.openConnections.incrementAndGet() > settings.maxConnections()) {
            if (!draining) {
                counters.openConnections.decrementAndGet();
            }
            counters.refusedConnections.increment();
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
            ch.close();
            return;
        }
        connections.add(ch);
        ch.closeFuture().addListener(x -> {
            counters.openConnections.decrementAndGet();
            connections.remove(ch);
            if (draining && connections.isEmpty()) {
                drained.complete(null);
            }
        });
        ChannelPipeline p = ch.pipeline();
        if (settings.ssl() != null) {
            p.addLast("tls", settings.ssl().newHandler(ch.alloc()));
        }
        if (!settings.idleTimeout().isZero()) {
            p.addLast("idle", new IdleStateHandler(settings.idleTimeout().toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        }
        p.addLast("http", new HttpServerCodec());
        p.addLast("flow", new FlowControlHandler());
        p.addLast("otlp", new OtlpHttpHandler(this));
    }

    ServerSettings settings() {
        return settings;
    }

    ReceiverContext context() {
        return context;
    }

    OtlpCounters counters() {
        return counters;
    }

    boolean isDraining() {
        return draining;
    }

    /** Takes one of the bounded request slots; false when all are taken. */
    boolean tryAcquireRequest() {
        int n;
        do {
            n = counters.requestsInFlight.get();
            if (n >= settings.maxRequestsInFlight()) {
                return false;
            }
        } while (!counters.requestsInFlight.compareAndSet(n, n + 1));
        return true;
    }

    void releaseRequest() {
        counters.requestsInFlight.decrementAndGet();
    }

    /**
     * Reserves {@code bytes} more of body for a request that holds {@code held} already: granted when
     * the other requests in flight hold nothing (one request alone may hold up to the body limit), or
     * when all stay within {@code limit}; false otherwise (nothing reserved).
     */
    boolean tryReserveBytes(long held, long bytes, long limit) {
        long n;
        do {
            n = counters.bytesInFlight.get();
            if (n > held && n + bytes > limit) {
                return false;
            }
        } while (!counters.bytesInFlight.compareAndSet(n, n + bytes));
        return true;
    }

    void releaseBytes(long bytes) {
        counters.bytesInFlight.addAndGet(-bytes);
    }

    /** The bound address (the real port when 0 was asked). */
    public InetSocketAddress localAddress() {
        Channel c = serverChannel;
        return c == null ? null : (InetSocketAddress) c.localAddress();
    }

    /**
     * Stops accepting; idle connections close at once, the others after their answer; completes
     * when every connection is closed, or after {@code grace}, when the rest are closed.
     */
    public CompletableFuture<Void> drain(Duration grace) {
        draining = true;
        Channel sc = serverChannel;
        if (sc != null) {
            sc.close();
        }
        for (Channel ch : connections) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(OtlpHttpHandler.DRAIN));
        }
        if (connections.isEmpty()) {
            drained.complete(null);
        }
        group.next().schedule(() -> {
            if (!drained.isDone()) {
                connections.forEach(Channel::close);
                drained.complete(null);
            }
        }, grace.toNanos(), TimeUnit.NANOSECONDS);
        return drained;
    }

    /** Closes the socket and every connection and stops the event loops (waits up to 5 s). */
    public void close() {
        draining = true;
        Channel sc = serverChannel;
        if (sc != null) {
            sc.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        connections.forEach(Channel::close);
        drained.complete(null);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
