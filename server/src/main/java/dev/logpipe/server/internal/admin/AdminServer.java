package dev.logpipe.server.internal.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MetricNameFilter;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The admin HTTP server of {@code logpipe serve} (and of {@code logpipe forward kafka}, with other
 * {@link AdminMetrics}), on its own single Netty event loop
 * ("logpipe-admin"), so that a slow scrape never competes with ingest:
 * <ul>
 *   <li>{@code GET /metrics}: every metric of its {@link AdminMetrics} in Prometheus text format 0.0.4;</li>
 *   <li>{@code GET /health}: 200 while the process is up (liveness);</li>
 *   <li>{@code GET /ready}: 200 once the listener is bound and the journal writable, 503 before
 *       that, while the {@linkplain #readiness readiness check} says otherwise (journal paused for
 *       lack of space, or failed) and while draining (readiness);</li>
 *   <li>{@code GET /stats}: the key numbers as JSON, for {@code logpipe stats}.</li>
 * </ul>
 *
 * <p>Threading: thread-safe. {@link #ready(boolean)} may be called from any thread. Requests are
 * served on the admin event loop; a scrape reads the pipeline's counters, which never blocks.
 */
public final class AdminServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEXT = "text/plain; charset=utf-8";

    private final AdminMetrics metrics;
    private final EventLoopGroup group;
    private volatile Channel channel;
    private volatile String state = "starting";
    private volatile boolean ready;
    private volatile Supplier<String> readiness = () -> "ready";

    private AdminServer(AdminMetrics metrics, EventLoopGroup group) {
        this.metrics = metrics;
        this.group = group;
    }

    /**
     * Binds and starts serving; not ready until {@link #ready(boolean)} says so.
     *
     * @throws BindException when the port is taken, with a message that says to pass --admin-port
     */
    public static AdminServer start(String bindHost, int port, AdminMetrics metrics) throws BindException, InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("logpipe-admin", true),
                NioIoHandler.newFactory());
        // created before the bind so that the first accepted connection already has its server
        AdminServer server = new AdminServer(metrics, group);
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                    new AdminHandler(server));
                        }
                    });
            server.channel = b.bind(new InetSocketAddress(bindHost, port)).sync().channel();
            return server;
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            if (e instanceof BindException be) {
                BindException out = new BindException(String.valueOf(be.getMessage()).contains("in use")
                        ? "admin port " + port + " on " + bindHost + " is in use; pass --admin-port"
                        : "cannot listen on admin address " + bindHost + ":" + port + ": " + be.getMessage()
                                + "; --admin-bind must be an address of this machine (127.0.0.1, 0.0.0.0, ...)");
                out.initCause(be);
                throw out;
            }
            throw e;
        }
    }

    /** The address actually bound (the port, when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Says whether the server is ready to accept records; {@code state} is shown by /ready. */
    public void ready(boolean isReady, String state) {
        this.ready = isReady;
        this.state = state;
    }

    /**
     * While {@link #ready(boolean) ready}, {@code /ready} also asks {@code check}: {@code "ready"}
     * answers 200, any other word 503 with that word (e.g. {@code paused}). Called on the admin event
     * loop: must not block.
     */
    public void readiness(Supplier<String> check) {
        this.readiness = Objects.requireNonNull(check, "check");
    }

    /** Same as {@code ready(r, r ? "ready" : "not ready")}. */
    public void ready(boolean isReady) {
        ready(isReady, isReady ? "ready" : "not ready");
    }

    /** Whether {@code /ready} answers 200 now. */
    public boolean isReady() {
        return ready && "ready".equals(readiness.get());
    }

    private String notReadyWord() {
        return ready ? readiness.get() : state;
    }

    /** Stops listening and closes the event loop; waits up to a second for it. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(Duration.ofSeconds(1).toMillis());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
    }

    private FullHttpResponse respond(FullHttpRequest req) throws IOException {
        if (req.decoderResult().isFailure()) {
            // what Netty could not decode reaches here as a request with what it read so far: answer
            // the failure (and close), not the path it happened to read
            Throwable cause = req.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpHeaderException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : HttpResponseStatus.BAD_REQUEST;
            return text(status, "bad request: " + cause.getMessage() + "\n");
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n");
            r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return r;
        }
        QueryStringDecoder query = new QueryStringDecoder(req.uri());
        switch (query.path()) {
            case "/health":
                return text(HttpResponseStatus.OK, "ok\n");
            case "/ready": {
                String word = notReadyWord();
                return "ready".equals(word) ? text(HttpResponseStatus.OK, "ready\n")
                        : text(HttpResponseStatus.SERVICE_UNAVAILABLE, word + "\n");
            }
            case "/metrics": {
                PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                try (ByteBufOutputStream out = new ByteBufOutputStream(r.content())) {
                    writer.write(out, metrics.scrape(nameFilter(query)));
                }
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, PrometheusTextFormatWriter.CONTENT_TYPE);
                return r;
            }
            case "/stats": {
                byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(metrics.statsView(isReady()));
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                r.content().writeBytes(body).writeByte('\n');
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                return r;
            }
            case "/":
                return text(HttpResponseStatus.OK, "logpipe admin: /metrics /health /ready /stats\n");
            default:
                return text(HttpResponseStatus.NOT_FOUND, "not found; try /metrics, /health, /ready or /stats\n");
        }
    }

    /**
     * The Prometheus client's {@code name[]} filter: {@code /metrics?name[]=a&name[]=b} serves only those
     * metrics (a name may carry its {@code _total} suffix); no {@code name[]}, every metric.
     */
    private static Predicate<String> nameFilter(QueryStringDecoder query) {
        List<String> names = query.parameters().get("name[]");
        return names == null || names.isEmpty() ? MetricNameFilter.ALLOW_ALL
                : MetricNameFilter.builder().nameMustBeEqualTo(names).build();
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        r.content().writeCharSequence(body, StandardCharsets.UTF_8);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, TEXT);
        return r;
    }

    /** Serves one request at a time per connection; keep-alive as the client asks. */
    @ChannelHandler.Sharable
    private static final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final AdminServer server;

        AdminHandler(AdminServer server) {
            this.server = server;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            FullHttpResponse res;
            try {
                res = server.respond(req);
            } catch (Exception e) {
                res = text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "error: " + e + "\n");
            }
            if (req.method().equals(HttpMethod.HEAD)) {
                int length = res.content().readableBytes();
                res.content().clear();
                HttpUtil.setContentLength(res, length);
            } else {
                HttpUtil.setContentLength(res, res.content().readableBytes());
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req) && req.decoderResult().isSuccess();
            HttpUtil.setKeepAlive(res, keepAlive);
            // ownership of res (and its content buffer) passes to the pipeline on write
            var f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
