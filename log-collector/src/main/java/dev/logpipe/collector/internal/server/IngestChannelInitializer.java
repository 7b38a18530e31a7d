package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.MpscSender;
import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.internal.ingest.IngestDecoderConfig;
import dev.logpipe.collector.internal.ingest.FluentForwardDecoder;
import dev.logpipe.collector.internal.ingest.HeldBytes;
import dev.logpipe.collector.internal.ingest.IngestDecoders;
import dev.logpipe.collector.internal.ingest.RelpFrameDecoder;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sets up each accepted connection of one listener: refuses it at once beyond the connection limit,
 * otherwise builds {@code [TLS] -> idle -> guard -> decoders -> backpressure}; on an acknowledged
 * listener the decoders are the protocol's frame decoder and its session handler, which makes the
 * append requests (with receipts) and writes the acknowledgements.
 *
 * <p>Threading: shared by the listener's connections ({@code @Sharable} through
 * {@link ChannelInitializer}); {@code initChannel} runs on the new connection's event loop. State is
 * in thread-safe counters.
 */
final class IngestChannelInitializer extends ChannelInitializer<SocketChannel> {

    /** How long the oldest waiting acknowledgement waits before it asks for an early sync. */
    static final long PRESSURE_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final ListenerConfig config;
    private final IngestDecoderConfig decoderConfig;
    private final SslContext sslContext;
    private final MpscSender<AppendRequest> sender;
    private final PipelineCounters counters;
    private final ConnectionTracker tracker;
    /** Open connections of this listener, for its limit (the pipeline-wide count is in the counters). */
    private final AtomicInteger open = new AtomicInteger();

    /** What this listener's connections may hold together for frames and messages not yet stored. */
    private final MessageBudget messageBudget = new MessageBudget(MessageBudget.defaultLimit());

    /** Asks the journal for a sync now (acknowledged protocols, sync on pressure). */
    private final Runnable syncNow;

    /** This host's name, as a PONG names the server; looked up here, never on an event loop (DNS may block). */
    private final String hostname;
    /** The Fluent shared key and users as the handshake uses them, converted once, not per connection. */
    private final byte[] fluentKey;
    private final java.util.Map<String, byte[]> fluentUsers;

    IngestChannelInitializer(ListenerConfig config, SslContext sslContext, MpscSender<AppendRequest> sender,
                             PipelineCounters counters, ConnectionTracker tracker, Runnable syncNow) {
        this.syncNow = syncNow;
        this.config = config;
        this.decoderConfig = new IngestDecoderConfig(config.wireFormat(), config.maxFrameBytes(),
                config.oversizePolicy(), config.malformedPolicy());
        this.sslContext = sslContext;
        this.sender = sender;
        this.counters = counters;
        this.tracker = tracker;
        this.hostname = config.fluentSharedKey() != null ? localHostname() : null;
        this.fluentKey = config.fluentSharedKey() != null
                ? config.fluentSharedKey().getBytes(java.nio.charset.StandardCharsets.UTF_8) : null;
        this.fluentUsers = FluentHandshakeHandler.usersAsBytes(config.fluentUsers());
    }

    private static String localHostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException | RuntimeException e) {
            return "logpipe";
        }
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (open.incrementAndGet() > config.maxConnections()) {
            open.decrementAndGet();
            counters.refusedConnections.increment();
            // Abortive close (RST, not FIN): the client's next read or write fails, so a sender
            // such as `logpipe send` learns that nothing it sent on this connection was read.
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
            ch.close();
            return;
        }
        counters.acceptedConnections.increment();
        counters.activeConnections.incrementAndGet();
        ch.closeFuture().addListener(f -> {
            open.decrementAndGet();
            counters.activeConnections.decrementAndGet();
        });

        ChannelPipeline p = ch.pipeline();
        BackpressureHandler backpressure = new BackpressureHandler(sender, counters, tracker);
        p.addLast("probe", new SocketReadProbe(backpressure)); // raw socket reads, so before TLS
        if (sslContext != null) {
            p.addLast("tls", sslContext.newHandler(ch.alloc()));
        }
        if (!config.idleTimeout().isZero()) {
            p.addLast("idle", new IdleStateHandler(config.idleTimeout().toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        }
        p.addLast("guard", new ConnectionGuardHandler(backpressure, counters));
        ConnectionMemory memory = new ConnectionMemory(messageBudget, backpressure, open::get);
        ch.attr(HeldBytes.KEY).set(memory); // for the line decoder, which the format sniffer creates later
        switch (config.protocol()) {
            case STREAM -> IngestDecoders.install(p, decoderConfig, counters);
            case RELP -> {
                p.addLast("relp-decoder", RelpFrameDecoder.create(decoderConfig, counters));
                p.addLast("relp-session", new RelpSessionHandler(backpressure, counters.acks, config.ackLevel(),
                        AckQueue.shared(config.maxPendingAcks(), open::get), syncNow, PRESSURE_DELAY_NANOS));
            }
            case FLUENT -> {
                if (fluentKey != null) {
                    p.addLast("fluent-handshake", new FluentHandshakeHandler(fluentKey, fluentUsers, hostname,
                            counters.acks));
                }
                p.addLast("fluent-decoder", FluentForwardDecoder.create(decoderConfig, counters, memory));
                p.addLast("fluent-session", new FluentSessionHandler(backpressure, counters.acks, config.ackLevel(),
                        AckQueue.shared(config.maxPendingAcks(), open::get), syncNow, PRESSURE_DELAY_NANOS));
            }
        }
        p.addLast("backpressure", backpressure);
    }
}
