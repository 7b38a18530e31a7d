package dev.logpipe.collector;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of one TCP ingest listener: where it binds, which wire format it reads, its limits
 * and, optionally, TLS. Pass it to {@link LogPipeline.Builder#listener(ListenerConfig)}.
 *
 * <p>Defaults: {@code 127.0.0.1:5140}, {@link WireFormat#AUTO}, frames up to 1 MiB cut and flagged
 * ({@link OversizePolicy#TRUNCATE}), malformed frames stored raw ({@link MalformedPolicy#STORE_RAW}),
 * 1024 connections, idle timeout 5 minutes, TCP keepalive on, no TLS.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * <p>Example:
 * <pre>{@code
 * ListenerConfig tls = ListenerConfig.builder().port(6514).wireFormat(WireFormat.SYSLOG)
 *     .tls(Path.of("server.crt"), Path.of("server.key"))
 *     .tlsTrustedClientCerts(Path.of("clients-ca.crt"))   // clients must present a certificate
 *     .build();
 * }</pre>
 */
public final class ListenerConfig {

    /** The default ingest port. */
    public static final int DEFAULT_PORT = 5140;
    /** The default largest frame, 1 MiB. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
    /** Default bound on one connection's waiting acknowledgements (above omrelp's largest usual window). */
    public static final int DEFAULT_MAX_PENDING_ACKS = 8192;

    private final String bindAddress;
    private final int port;
    private final WireFormat wireFormat;
    private final int maxFrameBytes;
    private final OversizePolicy oversizePolicy;
    private final MalformedPolicy malformedPolicy;
    private final int maxConnections;
    private final Duration idleTimeout;
    private final boolean tcpKeepAlive;
    private final int receiveBufferBytes;
    private final Path tlsCertChain;
    private final Path tlsPrivateKey;
    private final Path tlsTrustedClientCerts;
    private final ListenerProtocol protocol;
    private final Durability ackLevel;
    private final int maxPendingAcks;
    private final String fluentSharedKey;
    private final Map<String, String> fluentUsers;

    private ListenerConfig(Builder b) {
        this.protocol = b.protocol;
        this.ackLevel = b.ackLevel;
        this.maxPendingAcks = b.maxPendingAcks;
        this.bindAddress = b.bindAddress;
        this.port = b.port;
        this.wireFormat = b.wireFormat;
        this.maxFrameBytes = b.maxFrameBytes;
        this.oversizePolicy = b.oversizePolicy;
        this.malformedPolicy = b.malformedPolicy;
        this.maxConnections = b.maxConnections;
        this.idleTimeout = b.idleTimeout;
        this.tcpKeepAlive = b.tcpKeepAlive;
        this.receiveBufferBytes = b.receiveBufferBytes;
        this.tlsCertChain = b.tlsCertChain;
        this.tlsPrivateKey = b.tlsPrivateKey;
        this.tlsTrustedClientCerts = b.tlsTrustedClientCerts;
        this.fluentSharedKey = b.fluentSharedKey;
        this.fluentUsers = b.fluentUsers;
    }

    /** A listener with every default ({@code 127.0.0.1:5140}, AUTO format, no TLS). */
    public static ListenerConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The address to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}. */
    public String bindAddress() {
        return bindAddress;
    }

    /** The port to bind; 0 picks a free one (see {@link LogPipeline#listenerAddresses()}). */
    public int port() {
        return port;
    }

    public WireFormat wireFormat() {
        return wireFormat;
    }

    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    public OversizePolicy oversizePolicy() {
        return oversizePolicy;
    }

    public MalformedPolicy malformedPolicy() {
        return malformedPolicy;
    }

    /** Connections open at once; one more is closed as soon as it is accepted, and counted. */
    public int maxConnections() {
        return maxConnections;
    }

    /** A connection that sends nothing for this long is closed; {@link Duration#ZERO} = never. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    public boolean tcpKeepAlive() {
        return tcpKeepAlive;
    }

    /**
     * The kernel receive buffer of each connection ({@code SO_RCVBUF}), or 0 for the OS default (which
     * auto-tunes, up to {@code net.ipv4.tcp_rmem}'s maximum on Linux). See {@link Builder#receiveBufferBytes}.
     */
    public int receiveBufferBytes() {
        return receiveBufferBytes;
    }

    /** Whether connections must speak TLS. */
    public boolean tlsEnabled() {
        return tlsCertChain != null;
    }

    /** PEM certificate chain of the server, or null without TLS. */
    public Path tlsCertChain() {
        return tlsCertChain;
    }

    /** PEM private key (PKCS#8) of the server, or null without TLS. */
    public Path tlsPrivateKey() {
        return tlsPrivateKey;
    }

    /** PEM certificates that client certificates must chain to, or null if clients need none. */
    public Path tlsTrustedClientCerts() {
        return tlsTrustedClientCerts;
    }

    /** What the listener speaks: {@link ListenerProtocol#STREAM} unless set. */
    public ListenerProtocol protocol() {
        return protocol;
    }

    /** When an acknowledged listener acknowledges a record: {@link Durability#DURABLE} unless set. */
    public Durability ackLevel() {
        return ackLevel;
    }

    /**
     * Most acknowledgements one connection may have waiting before it stops reading; with many connections
     * open, less: the connections of a listener share 65,536 (each at least 64).
     */
    public int maxPendingAcks() {
        return maxPendingAcks;
    }

    /** The Fluent Forward shared key clients must prove they hold, or null if none is asked for. */
    public String fluentSharedKey() {
        return fluentSharedKey;
    }

    /** The Fluent Forward users (name to password) a client must be one of, or null if none is asked for. */
    public Map<String, String> fluentUsers() {
        return fluentUsers;
    }

    @Override
    public String toString() {
        return (protocol == ListenerProtocol.STREAM ? "" : protocol.name().toLowerCase(java.util.Locale.ROOT)
                + "(ack " + ackLevel.name().toLowerCase(java.util.Locale.ROOT) + ") ")
                + (tlsEnabled() ? "tls://" : "tcp://") + bindAddress + ':' + port + " format=" + wireFormat
                + " maxFrameBytes=" + maxFrameBytes + " oversize=" + oversizePolicy
                + " malformed=" + malformedPolicy + " maxConnections=" + maxConnections
                + " idleTimeout=" + idleTimeout + (tlsTrustedClientCerts != null ? " clientAuth=required" : "")
                + (fluentSharedKey != null ? " sharedKey=(set)" : "")
                + (fluentUsers != null ? " users=" + fluentUsers.size() : "");
    }

    /**
     * Builds a {@link ListenerConfig}; methods without {@code set}, values checked as they are given.
     *
     * <p>Threading: confined.
     */
    public static final class Builder {
        private String bindAddress = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private WireFormat wireFormat = WireFormat.AUTO;
        private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
        private OversizePolicy oversizePolicy = OversizePolicy.TRUNCATE;
        private MalformedPolicy malformedPolicy = MalformedPolicy.STORE_RAW;
        private int maxConnections = 1024;
        private Duration idleTimeout = Duration.ofMinutes(5);
        private boolean tcpKeepAlive = true;
        private int receiveBufferBytes;
        private Path tlsCertChain;
        private Path tlsPrivateKey;
        private Path tlsTrustedClientCerts;
        private ListenerProtocol protocol = ListenerProtocol.STREAM;
        private Durability ackLevel = Durability.DURABLE;
        private int maxPendingAcks = DEFAULT_MAX_PENDING_ACKS;
        private String fluentSharedKey;
        private Map<String, String> fluentUsers;

        private Builder() {
        }

        /** What the listener speaks (default {@link ListenerProtocol#STREAM}). */
        public Builder protocol(ListenerProtocol protocol) {
            this.protocol = Objects.requireNonNull(protocol, "protocol");
            return this;
        }

        /**
         * When an acknowledged listener (RELP, Fluent) acknowledges: once the record is durable
         * (default) or once it is written.
         */
        public Builder ackLevel(Durability level) {
            this.ackLevel = Objects.requireNonNull(level, "level");
            return this;
        }

        /**
         * Most acknowledgements one connection may have waiting; past it the connection stops reading
         * until half are sent (default {@value ListenerConfig#DEFAULT_MAX_PENDING_ACKS}). With many
         * connections open each gets less: a listener's connections share 65,536, each at least 64 (each
         * waiting one holds its records' receipts until they are durable).
         */
        public Builder maxPendingAcks(int max) {
            if (max < 2) {
                throw new IllegalArgumentException("maxPendingAcks must be >= 2, got " + max);
            }
            this.maxPendingAcks = max;
            return this;
        }

        public Builder bindAddress(String address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** 0 = any free port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        public Builder wireFormat(WireFormat format) {
            this.wireFormat = Objects.requireNonNull(format, "format");
            return this;
        }

        public Builder maxFrameBytes(int bytes) {
            if (bytes < 64) {
                throw new IllegalArgumentException("maxFrameBytes must be >= 64, got " + bytes);
            }
            this.maxFrameBytes = bytes;
            return this;
        }

        public Builder oversizePolicy(OversizePolicy policy) {
            this.oversizePolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        public Builder malformedPolicy(MalformedPolicy policy) {
            this.malformedPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be >= 1, got " + max);
            }
            this.maxConnections = max;
            return this;
        }

        /** {@link Duration#ZERO} disables the idle timeout. */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must not be negative, got " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        public Builder tcpKeepAlive(boolean on) {
            this.tcpKeepAlive = on;
            return this;
        }

        /**
         * Sets each connection's kernel receive buffer ({@code SO_RCVBUF}); 0 (the default) keeps the
         * OS's auto-tuning. Why it matters for memory: a connection paused by backpressure holds at
         * most the records of its reads in flight (two reads of up to 64 KiB); but once its client
         * closes its sending side, the native transport reads whatever is left in the kernel buffer,
         * and the decoders turn all of it into records at once. A fixed buffer caps that amount.
         */
        public Builder receiveBufferBytes(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("receiveBufferBytes must be >= 0, got " + bytes);
            }
            this.receiveBufferBytes = bytes;
            return this;
        }

        /** Serves TLS with this PEM certificate chain and PEM (PKCS#8, unencrypted) private key. */
        public Builder tls(Path certChainPem, Path privateKeyPem) {
            this.tlsCertChain = Objects.requireNonNull(certChainPem, "certChainPem");
            this.tlsPrivateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            return this;
        }

        /**
         * Requires every TLS client to present a certificate that chains to one in this PEM file.
         * Needs {@link #tls}.
         */
        public Builder tlsTrustedClientCerts(Path trustedCertsPem) {
            this.tlsTrustedClientCerts = Objects.requireNonNull(trustedCertsPem, "trustedCertsPem");
            return this;
        }

        /**
         * For a {@link ListenerProtocol#FLUENT} listener: asks every client for the Forward protocol's
         * shared-key handshake (HELO, PING, PONG) before it takes anything, as fluentd's and Fluent Bit's
         * {@code <security> shared_key} do; a client that does not prove it holds the key (SHA-512 over
         * salt, hostname, nonce and key) is answered a failed PONG and closed. The key goes over the wire
         * only hashed, but the records do not: use TLS ({@link #tls}) off a trusted network. Users
         * ({@link #fluentUsers}) can be asked for on top.
         */
        public Builder fluentSharedKey(String key) {
            Objects.requireNonNull(key, "key");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("the Fluent shared key must not be empty");
            }
            this.fluentSharedKey = key;
            return this;
        }

        /**
         * For a {@link ListenerProtocol#FLUENT} listener with a shared key: asks every client for a user
         * name and password as well, as fluentd's {@code <security> user_auth true} with {@code <user>}
         * entries does: the HELO carries an auth salt, and the PING must name one of {@code users}
         * (user name to password) with {@code sha512_hex(auth_salt + username + password)} (what Fluent
         * Bit's {@code out_forward} sends with {@code Username} and {@code Password}); any other is
         * answered a failed PONG and closed.
         */
        public Builder fluentUsers(Map<String, String> users) {
            Objects.requireNonNull(users, "users");
            if (users.isEmpty()) {
                throw new IllegalArgumentException("give at least one Fluent user, or none at all");
            }
            users.forEach((name, password) -> {
                if (name == null || name.isEmpty() || password == null || password.isEmpty()) {
                    throw new IllegalArgumentException("a Fluent user needs a name and a password");
                }
            });
            this.fluentUsers = Map.copyOf(users);
            return this;
        }

        public ListenerConfig build() {
            if (fluentUsers != null && fluentSharedKey == null) {
                throw new IllegalStateException("Fluent users are checked inside the shared-key handshake: set fluentSharedKey too");
            }
            if (fluentSharedKey != null && protocol != ListenerProtocol.FLUENT) {
                throw new IllegalStateException("a shared key is for a Fluent Forward listener (protocol FLUENT), not " + protocol);
            }
            if (tlsTrustedClientCerts != null && tlsCertChain == null) {
                throw new IllegalStateException("client certificate verification needs tls(cert, key) as well");
            }
            return new ListenerConfig(this);
        }
    }
}
