package dev.logpipe.server.internal.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every setting of {@code logpipe serve}: its name (the same as a config-file key and as the long
 * flag without {@code --}), its default, and how its text is parsed. The one list that the config
 * loader, the flags and the documentation agree on.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum ConfigKey {
    BIND("bind", "127.0.0.1", "address the TCP ingest listener binds to (0.0.0.0 for all interfaces)", ConfigValues::host),
    PORT("port", "5140", "TCP ingest port (0 = any free port)", ConfigValues::port),
    DATA("data", "./data", "journal directory (created if missing)", ConfigValues::path),
    ADMIN_BIND("admin-bind", "127.0.0.1", "address the admin HTTP server (/metrics, /health, /ready, /stats) binds to", ConfigValues::host),
    ADMIN_PORT("admin-port", "5180", "admin HTTP port (0 = any free port)", ConfigValues::port),
    FORMAT("format", "auto", "wire format of the listener: auto (detect per connection), json, syslog or text",
            s -> ConfigValues.oneOf(s, "auto", "json", "syslog", "text")),
    SYNC_INTERVAL("sync-interval", "100ms", "when to force the journal to disk: a duration of 1ms or more, batch (after every batch) or never",
            SyncPolicies::parse),
    ROLL_CYCLE("roll-cycle", "hourly", "journal segment length: minutely, hourly or daily",
            s -> ConfigValues.oneOf(s, "minutely", "hourly", "daily")),
    RETENTION("retention", "forever", "delete closed segments older than an age (7d), beyond a total size (10GB), or both (7d,10GB)",
            s -> Retention.parse(List.of(s))),
    MAX_CONNECTIONS("max-connections", "1024", "most concurrent TCP connections; more are refused and counted",
            s -> ConfigValues.positiveInt(s, "max-connections")),
    MAX_FRAME("max-frame", "1MiB", "largest frame (one record on the wire) accepted", ConfigKey::frameSize),
    OVERSIZE("oversize", "truncate", "what to do with a frame over max-frame: truncate (cut and flag it) or close (close the connection)",
            s -> ConfigValues.oneOf(s, "truncate", "close")),
    MALFORMED("malformed", "store-raw", "what to do with a frame that does not parse: store-raw (store it flagged as malformed) or drop",
            s -> ConfigValues.oneOf(s, "store-raw", "drop")),
    IDLE_TIMEOUT("idle-timeout", "5m", "close a connection that sent nothing for this long, 1s or more (0 = never)",
            ConfigValues::idleTimeout),
    DRAIN_TIMEOUT("drain-timeout", "30s", "on shutdown, how long to wait for connections and the journal to drain",
            s -> ConfigValues.positiveDuration(s, "drain-timeout")),
    CHANNEL_RECORDS("channel-records", "32768", "ingest channel capacity in records (backpressure beyond it)",
            s -> ConfigValues.positiveInt(s, "channel-records")),
    CHANNEL_BYTES("channel-bytes", "16MiB", "ingest channel capacity in bytes of heap its records take (estimated; backpressure beyond it)", ConfigValues::positiveSize),
    MIN_FREE("min-free", "16MiB", "free space to keep on the journal's file system; with less the journal pauses "
            + "(backpressure, /ready 503) until space returns; less than the file system's size", Units::parseSize),
    TLS_CERT("tls-cert", null, "PEM certificate chain file; enables TLS on the listener (with tls-key)", ConfigValues::path),
    TLS_KEY("tls-key", null, "PEM private key file (PKCS#8) for tls-cert", ConfigValues::path),
    TLS_CLIENT_CA("tls-client-ca", null, "PEM CA file; when set, clients must present a certificate it signed", ConfigValues::path),
    RELP_PORT("relp-port", null, "RELP listener port for rsyslog's omrelp, acknowledged (off unless set; 2514 is usual; 0 = any free port)",
            ConfigValues::port),
    FLUENT_PORT("fluent-port", null, "Fluent Forward listener port for Fluent Bit, fluentd and Docker, acknowledged (off unless set; 24224 is usual; 0 = any free port)",
            ConfigValues::port),
    FLUENT_SHARED_KEY_FILE("fluent-shared-key-file", null, "file holding the shared key Fluent Forward clients must prove they hold "
            + "(fluentd's and Fluent Bit's shared_key: the HELO/PING/PONG handshake); off unless set", ConfigValues::path),
    FLUENT_USERS_FILE("fluent-users-file", null, "file of name:password lines: Fluent Forward clients must also be one of these users "
            + "(fluentd's user_auth, Fluent Bit's Username and Password); needs fluent-shared-key-file; off unless set", ConfigValues::path),
    OTLP_PORT("otlp-port", null, "OTLP/HTTP logs listener port (POST /v1/logs) for OpenTelemetry SDKs and the Collector, answered once stored (off unless set; 4318 is usual; 0 = any free port)",
            ConfigValues::port),
    ACK_LEVEL("ack-level", "durable", "when the RELP, Fluent and OTLP listeners acknowledge a record: durable (synced to disk) or written (appended)",
            s -> ConfigValues.oneOf(s, "durable", "written")),
    WARMUP("warmup", "2s", "before listening, spend up to this long warming up the JIT with synthetic records on a throwaway "
            + "journal in warmup.tmp of the data directory (deleted afterwards), so the first real records meet compiled code (0 = off)",
            Units::parseDuration);

    private final String key;
    private final String defaultText;
    private final String description;
    private final Function<String, Object> parser;

    ConfigKey(String key, String defaultText, String description, Function<String, Object> parser) {
        this.key = key;
        this.defaultText = defaultText;
        this.description = description;
        this.parser = parser;
    }

    /** The config-file key, which is also the long flag without {@code --}. */
    public String key() {
        return key;
    }

    /** The long flag, e.g. {@code --sync-interval}. */
    public String flag() {
        return "--" + key;
    }

    /** The default as a user would write it, or {@code null} when the default is "not set". */
    public String defaultText() {
        return defaultText;
    }

    public String description() {
        return description;
    }

    /** Whether a config file may give a list of values for this key (joined as by commas). */
    public boolean acceptsList() {
        return this == RETENTION;
    }

    /**
     * Parses a value as written by a user.
     *
     * @throws IllegalArgumentException with a message that says what is expected
     */
    public Object parse(String text) {
        return parser.apply(text.trim());
    }

    /** The key with this name, if there is one. */
    public static Optional<ConfigKey> byKey(String name) {
        return Arrays.stream(values()).filter(k -> k.key.equals(name)).findFirst();
    }

    /** All keys, comma-separated, for messages. */
    public static String allKeys() {
        return Arrays.stream(values()).map(ConfigKey::key).collect(Collectors.joining(", "));
    }

    /** The known key closest to a misspelt one, if one is close enough to be what the user meant. */
    public static Optional<ConfigKey> closest(String name) {
        ConfigKey best = null;
        int bestDistance = Integer.MAX_VALUE;
        String n = name.toLowerCase(Locale.ROOT).replace('_', '-');
        for (ConfigKey k : values()) {
            int d = distance(n, k.key);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 3) ? Optional.of(best) : Optional.empty();
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Object frameSize(String s) {
        long v = Units.parseSize(s);
        if (v < 64 || v > Integer.MAX_VALUE - 1024) {
            throw new IllegalArgumentException("max-frame must be between 64B and 2GiB, was " + s);
        }
        return v;
    }

}
