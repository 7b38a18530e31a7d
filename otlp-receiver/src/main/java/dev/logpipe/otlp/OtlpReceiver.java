package dev.logpipe.otlp;

import dev.logpipe.collector.Durability;
import dev.logpipe.collector.Receiver;
import dev.logpipe.collector.ReceiverContext;
import dev.logpipe.otlp.internal.OtlpCounters;
import dev.logpipe.otlp.internal.OtlpHttpServer;
import dev.logpipe.otlp.internal.ServerSettings;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The OTLP/HTTP logs receiver: {@code POST /v1/logs} with an {@code ExportLogsServiceRequest} in
 * protobuf ({@code application/x-protobuf}) or OTLP JSON ({@code application/json}), gzip or not.
 * Answers 200 once every record it took is durable (or written, by {@link Builder#ackLevel}), with
 * {@code partial_success} when some were rejected; 429 with {@code Retry-After} when the pipeline's
 * channel is full or too many requests are in flight, so memory stays bounded and the client retries.
 *
 * <p>Plug it into a pipeline, which starts, drains and closes it:
 * <pre>{@code
 * OtlpReceiver otlp = OtlpReceiver.builder().port(4318).build();
 * try (LogPipeline pipeline = LogPipeline.builder(Path.of("data")).receiver(otlp).start()) {
 *     System.out.println("OTLP on " + otlp.localAddress());
 *     ...
 * }
 * }</pre>
 *
 * <p>Defaults: {@code 127.0.0.1:4318}, bodies up to 8 MiB (also once inflated), 16 requests in flight,
 * 1024 connections, idle timeout 5 minutes, ack once durable, {@code Retry-After: 1}, two event loops,
 * no TLS.
 *
 * <p>Threading: thread-safe. Each instance runs in one pipeline, once.
 */
public final class OtlpReceiver implements Receiver {

    /** The OTLP/HTTP port by convention. */
    public static final int DEFAULT_PORT = 4318;
    /** The default largest request body, 8 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 8L << 20;
    /** The default bound on requests in flight. */
    public static final int DEFAULT_MAX_REQUESTS_IN_FLIGHT = 16;
    /** The default most log records in one request: eight times the Collector's default batch (8,192). */
    public static final int DEFAULT_MAX_RECORDS_PER_REQUEST = 65_536;

    private final Builder config;
    private final OtlpCounters counters = new OtlpCounters();
    private final Object lock = new Object();
    private OtlpHttpServer server;
    private boolean started;

    private OtlpReceiver(Builder b) {
        this.config = b;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String protocol() {
        return "otlp";
    }

    @Override
    public void start(ReceiverContext context) throws IOException {
        Objects.requireNonNull(context, "context");
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("this OTLP receiver was already started; build a new one");
            }
            started = true;
        }
        SslContext ssl = sslContext();
        ServerSettings s = new ServerSettings(config.bindAddress, config.port, config.maxBodyBytes,
                config.maxRequestsInFlight, config.maxBytesInFlight, config.maxConnections, config.idleTimeout,
                config.ackLevel,
                config.retryAfter, config.ioThreads, config.maxRecordsPerRequest, ssl);
        OtlpHttpServer srv = OtlpHttpServer.bind(s, context, counters);
        synchronized (lock) {
            server = srv;
        }
    }

    private SslContext sslContext() throws IOException {
        if (config.tlsCertChain == null) {
            return null;
        }
        for (Path p : new Path[] {config.tlsCertChain, config.tlsPrivateKey, config.tlsTrustedClientCerts}) {
            if (p != null && !Files.isReadable(p)) {
                throw new IOException("TLS file " + p + " of the OTLP listener is missing or unreadable; check the path");
            }
        }
        try {
            SslContextBuilder b = SslContextBuilder.forServer(config.tlsCertChain.toFile(), config.tlsPrivateKey.toFile());
            if (config.tlsTrustedClientCerts != null) {
                b.trustManager(config.tlsTrustedClientCerts.toFile()).clientAuth(ClientAuth.REQUIRE);
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("cannot set up TLS for OTLP from " + config.tlsCertChain + " and " + config.tlsPrivateKey
                    + ": " + e.getMessage() + "; give a PEM certificate chain and an unencrypted PKCS#8 PEM key", e);
        }
    }

    @Override
    public CompletionStage<Void> drain(Duration grace) {
        OtlpHttpServer s = current();
        return s == null ? CompletableFuture.completedFuture(null) : s.drain(grace);
    }

    @Override
    public void close() {
        OtlpHttpServer s = current();
        if (s != null) {
            s.close();
        }
    }

    private OtlpHttpServer current() {
        synchronized (lock) {
            return server;
        }
    }

    /** The address bound once started (with the real port when 0 was asked), else null. */
    public InetSocketAddress localAddress() {
        OtlpHttpServer s = current();
        return s == null ? null : s.localAddress();
    }

    /** When answers go out: once the records are durable, or written. */
    public Durability ackLevel() {
        return config.ackLevel;
    }

    /** A snapshot of the receiver's counters; cheap. */
    public OtlpStats stats() {
        return new OtlpStats(counters.responses(), counters.records.sum(), counters.rejectedRecords.sum(),
                counters.requestBytes.sum(), counters.requestsInFlight.get(), counters.bytesInFlight.get(),
                counters.openConnections.get(),
                counters.refusedConnections.sum());
    }

    @Override
    public String toString() {
        InetSocketAddress a = localAddress();
        return "otlp(ack " + config.ackLevel.name().toLowerCase(java.util.Locale.ROOT) + ") "
                + (config.tlsCertChain != null ? "https://" : "http://")
                + (a != null ? a.getHostString() + ":" + a.getPort() : config.bindAddress + ":" + config.port)
                + "/v1/logs";
    }

    /**
     * Builds an {@link OtlpReceiver}; methods without {@code set}, values checked as they are given.
     *
     * <p>Threading: confined.
     */
    public static final class Builder {
        private String bindAddress = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxRequestsInFlight = DEFAULT_MAX_REQUESTS_IN_FLIGHT;
        private int maxRecordsPerRequest = DEFAULT_MAX_RECORDS_PER_REQUEST;
        private long maxBytesInFlight = defaultMaxBytesInFlight();
        private int maxConnections = 1024;
        private Duration idleTimeout = Duration.ofMinutes(5);
        private Durability ackLevel = Durability.DURABLE;
        private Duration retryAfter = Duration.ofSeconds(1);
        private int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());
        private Path tlsCertChain;
        private Path tlsPrivateKey;
        private Path tlsTrustedClientCerts;

        private Builder() {
        }

        /** The address to bind (default {@code 127.0.0.1}). */
        public Builder bindAddress(String address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The port (default {@value OtlpReceiver#DEFAULT_PORT}); 0 picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** The largest request body, on the wire and once inflated; larger ones are answered 413. */
        public Builder maxBodyBytes(long bytes) {
            if (bytes < 1024 || bytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("maxBodyBytes must be 1024..2^31-9, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /**
         * The most log records one request may hold (default {@value OtlpReceiver#DEFAULT_MAX_RECORDS_PER_REQUEST});
         * a request with more is answered 413, which clients do not retry: they must send smaller
         * batches. A request's records are made whole before they are offered, and the body limit does
         * not bound them: small records weigh many times their wire size (a 7.7 MB body of 1.1 million
         * one-character bodies maps to about 250 MB of records, where this limit stops at about 15 MB).
         * A JSON request may hold a quarter of it (16,384 by default): it is decoded whole before it is
         * mapped, about three times the heap per record (two requests of 65,536 tiny records decoded at
         * once ran {@code serve}'s heap out).
         */
        public Builder maxRecordsPerRequest(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxRecordsPerRequest must be >= 1, got " + max);
            }
            this.maxRecordsPerRequest = max;
            return this;
        }

        /**
         * How many requests may be held at once (body being read, decoded, or records waiting to be
         * stored); one more is answered 429. Memory is bounded by {@link #maxBytesInFlight}.
         */
        public Builder maxRequestsInFlight(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxRequestsInFlight must be >= 1, got " + max);
            }
            this.maxRequestsInFlight = max;
            return this;
        }

        /**
         * How many body bytes (inflated, for gzip) the requests in flight may hold together, from the
         * first byte read until the answer; a request that would go past it is answered 429 (before its
         * body is read when it declares its length; a gzip body once inflated, before it is decoded),
         * unless nothing else is in flight: one request alone may always hold up to {@link #maxBodyBytes}.
         * Decoding and mapping hold about five times a body's bytes on the heap while it is processed,
         * so the default is a twelfth of the maximum heap ({@link Runtime#maxMemory()}), between 1 MiB and
         * 64 MiB (6.7 MiB under {@code logpipe serve}, whose JVM reports 80 MiB).
         */
        public Builder maxBytesInFlight(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxBytesInFlight must be >= 1, got " + bytes);
            }
            this.maxBytesInFlight = bytes;
            return this;
        }

        private static long defaultMaxBytesInFlight() {
            return Math.max(1L << 20, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 12));
        }

        /** Connections open at once; one more is closed as soon as it is accepted. */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be >= 1, got " + max);
            }
            this.maxConnections = max;
            return this;
        }

        /** A connection idle (or stuck mid-body) this long is closed; {@link Duration#ZERO} = never. */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must not be negative, got " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** Answer 200 once the records are durable (default) or once written. */
        public Builder ackLevel(Durability level) {
            this.ackLevel = Objects.requireNonNull(level, "level");
            return this;
        }

        /** The {@code Retry-After} of 429 and 503 answers (whole seconds, at least 1; default 1 s). */
        public Builder retryAfter(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, got " + delay);
            }
            this.retryAfter = delay;
            return this;
        }

        /** Event loop threads (default: two, or one on a single core). */
        public Builder ioThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("ioThreads must be >= 1, got " + n);
            }
            this.ioThreads = n;
            return this;
        }

        /** Serves HTTPS with this PEM certificate chain and PEM (PKCS#8, unencrypted) private key. */
        public Builder tls(Path certChainPem, Path privateKeyPem) {
            this.tlsCertChain = Objects.requireNonNull(certChainPem, "certChainPem");
            this.tlsPrivateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            return this;
        }

        /** Requires client certificates that chain to one in this PEM file. Needs {@link #tls}. */
        public Builder tlsTrustedClientCerts(Path trustedCertsPem) {
            this.tlsTrustedClientCerts = Objects.requireNonNull(trustedCertsPem, "trustedCertsPem");
            return this;
        }

        public OtlpReceiver build() {
            if (tlsTrustedClientCerts != null && tlsCertChain == null) {
                throw new IllegalStateException("client certificate verification needs tls(cert, key) as well");
            }
            return new OtlpReceiver(this);
        }
    }
}
