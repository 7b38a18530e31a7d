package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.MpscSender;
import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One bound TCP ingest listener: accepts connections and feeds their records into the journal
 * channel through a {@link BackpressureHandler} each.
 *
 * <p>Threading: thread-safe; {@link #bind} blocks the caller until bound (never call it on an event
 * loop); the other methods return at once.
 */
public final class TcpServer {

    private final ListenerConfig config;
    private final Channel serverChannel;
    private final ConnectionTracker tracker;

    private TcpServer(ListenerConfig config, Channel serverChannel, ConnectionTracker tracker) {
        this.config = config;
        this.serverChannel = serverChannel;
        this.tracker = tracker;
    }

    /**
     * Binds a listener.
     *
     * @param sender where records go; the server uses it and never closes it
     * @throws IOException when the address cannot be bound or the TLS files cannot be loaded; the
     *                     message says what to do
     */
    public static TcpServer bind(Transport transport, ListenerConfig config, MpscSender<AppendRequest> sender,
                                 PipelineCounters counters) throws IOException {
        SslContext ssl = TlsContexts.forListener(config);
        ConnectionTracker tracker = new ConnectionTracker();
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.boss(), transport.workers())
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new AcceptTracker(tracker))
                .childOption(ChannelOption.SO_KEEPALIVE, config.tcpKeepAlive())
                .childOption(ChannelOption.TCP_NODELAY, true)
                // A client's EOF then arrives as ChannelInputShutdownEvent, distinct from a close by the
                // server or a reset: only then is an unterminated last frame the client's own. The
                // BackpressureHandler closes the half-closed connection once its records are handed on.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                // One read takes at most 64 KiB: this bounds what a paused connection can still decode.
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, 65_536))
                .childHandler(new IngestChannelInitializer(config, ssl, sender, counters, tracker));
        if (config.receiveBufferBytes() > 0) {
            // On the listening socket too: accepted sockets inherit it before the handshake, so the
            // window they advertise already fits it.
            b.option(ChannelOption.SO_RCVBUF, config.receiveBufferBytes());
            b.childOption(ChannelOption.SO_RCVBUF, config.receiveBufferBytes());
        }
        ChannelFuture f = b.bind(config.bindAddress(), config.port()).awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            String where = config.bindAddress() + ":" + config.port();
            if (cause instanceof BindException || String.valueOf(cause.getMessage()).contains("in use")) {
                throw new IOException("cannot listen on " + where + ": " + cause.getMessage()
                        + "; another process has the port: pass another port (0 picks a free one)", cause);
            }
            String why = cause instanceof java.nio.channels.UnresolvedAddressException
                    ? "the address does not resolve" : cause.getMessage() == null ? cause.toString() : cause.getMessage();
            throw new IOException("cannot listen on " + where + ": " + why + "; check the bind address", cause);
        }
        return new TcpServer(config, f.channel(), tracker);
    }

    /** Tracks each connection from its acceptance, before its own event loop initialises it. */
    private static final class AcceptTracker extends ChannelInboundHandlerAdapter {
        private final ConnectionTracker tracker;

        AcceptTracker(ConnectionTracker tracker) {
            this.tracker = tracker;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                tracker.accepted(child);
            }
            ctx.fireChannelRead(msg); // on to ServerBootstrap's acceptor, which registers the child
        }
    }

    /** The address actually bound (with the real port when the config asked for port 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public ListenerConfig config() {
        return config;
    }

    /** Closes the listening socket; open connections stay. Completes when it is closed. */
    public CompletableFuture<Void> stopAccepting() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        serverChannel.close().addListener(f -> done.complete(null));
        return done;
    }

    /**
     * Drains the open connections: each keeps reading until its client has been quiet for
     * {@code quiet}, or until {@code grace} has passed, then is closed; the future completes when all
     * are closed and every record they decoded is in the journal channel.
     */
    public CompletableFuture<Void> drain(Duration quiet, Duration grace) {
        long now = System.nanoTime();
        return tracker.drain(new ConnectionTracker.DrainPlan(quiet.toNanos(), now + grace.toNanos()));
    }

    /** Closes every open connection now (records already decoded are still sent on). */
    public void forceCloseAll() {
        tracker.forceCloseAll();
    }

    /** Connections not yet finished (open, or closed with records still waiting for channel room). */
    public int unfinishedConnections() {
        return tracker.size();
    }
}
