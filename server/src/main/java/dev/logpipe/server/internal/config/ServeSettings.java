package dev.logpipe.server.internal.config;

import dev.logpipe.filesink.SyncPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The resolved settings of {@code logpipe serve}: defaults, overridden by the config file,
 * overridden by flags.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param written every setting as the user wrote it (or its default text), for printing it back
 */
public record ServeSettings(
        String bind, int port, Path data, String adminBind, int adminPort, String format,
        SyncPolicy syncInterval, String rollCycle, Retention retention, int maxConnections,
        long maxFrameBytes, String oversize, String malformed, Duration idleTimeout, Duration drainTimeout,
        int channelRecords, long channelBytes, Path tlsCert, Path tlsKey, Path tlsClientCa,
        Path configFile, long minFreeBytes, Integer relpPort, Integer fluentPort, Path fluentSharedKeyFile, Path fluentUsersFile, Integer otlpPort, String ackLevel,
        Duration warmup, Map<ConfigKey, String> written) {

    /**
     * Resolves settings from layers, lowest precedence first (the config file, then the flags).
     *
     * @param configFile the config file the settings came from, or null; only reported
     * @throws ConfigException when settings contradict each other
     */
    public static ServeSettings resolve(Path configFile, SettingsLayer... layers) throws ConfigException {
        ServeSettings s = new ServeSettings(
                (String) pick(ConfigKey.BIND, layers),
                (Integer) pick(ConfigKey.PORT, layers),
                (Path) pick(ConfigKey.DATA, layers),
                (String) pick(ConfigKey.ADMIN_BIND, layers),
                (Integer) pick(ConfigKey.ADMIN_PORT, layers),
                (String) pick(ConfigKey.FORMAT, layers),
                (SyncPolicy) pick(ConfigKey.SYNC_INTERVAL, layers),
                (String) pick(ConfigKey.ROLL_CYCLE, layers),
                (Retention) pick(ConfigKey.RETENTION, layers),
                (Integer) pick(ConfigKey.MAX_CONNECTIONS, layers),
                (Long) pick(ConfigKey.MAX_FRAME, layers),
                (String) pick(ConfigKey.OVERSIZE, layers),
                (String) pick(ConfigKey.MALFORMED, layers),
                (Duration) pick(ConfigKey.IDLE_TIMEOUT, layers),
                (Duration) pick(ConfigKey.DRAIN_TIMEOUT, layers),
                (Integer) pick(ConfigKey.CHANNEL_RECORDS, layers),
                (Long) pick(ConfigKey.CHANNEL_BYTES, layers),
                (Path) pick(ConfigKey.TLS_CERT, layers),
                (Path) pick(ConfigKey.TLS_KEY, layers),
                (Path) pick(ConfigKey.TLS_CLIENT_CA, layers),
                configFile,
                (Long) pick(ConfigKey.MIN_FREE, layers),
                (Integer) pick(ConfigKey.RELP_PORT, layers),
                (Integer) pick(ConfigKey.FLUENT_PORT, layers),
                (Path) pick(ConfigKey.FLUENT_SHARED_KEY_FILE, layers),
                (Path) pick(ConfigKey.FLUENT_USERS_FILE, layers),
                (Integer) pick(ConfigKey.OTLP_PORT, layers),
                (String) pick(ConfigKey.ACK_LEVEL, layers),
                (Duration) pick(ConfigKey.WARMUP, layers),
                writtenTexts(layers));
        if ((s.tlsCert == null) != (s.tlsKey == null)) {
            ConfigKey set = s.tlsCert != null ? ConfigKey.TLS_CERT : ConfigKey.TLS_KEY;
            ConfigKey missing = s.tlsCert != null ? ConfigKey.TLS_KEY : ConfigKey.TLS_CERT;
            throw new ConfigException(set.key() + " is set (" + originOf(set, layers) + ") but " + missing.key()
                    + " is not; TLS needs both: pass " + ConfigKey.TLS_CERT.flag() + " FILE " + ConfigKey.TLS_KEY.flag() + " FILE");
        }
        if (s.tlsClientCa != null && s.tlsCert == null) {
            throw new ConfigException("tls-client-ca is set (" + originOf(ConfigKey.TLS_CLIENT_CA, layers)
                    + ") but TLS is off; pass --tls-cert and --tls-key too");
        }
        if (s.fluentSharedKeyFile != null && s.fluentPort == null) {
            throw new ConfigException("fluent-shared-key-file is set (" + originOf(ConfigKey.FLUENT_SHARED_KEY_FILE, layers)
                    + ") but the Fluent listener is off; pass --fluent-port too");
        }
        if (s.fluentSharedKeyFile != null) {
            try {
                readSharedKey(s.fluentSharedKeyFile); // here, so that validate finds it too
            } catch (ConfigException e) {
                throw new ConfigException(e.getMessage() + " (" + originOf(ConfigKey.FLUENT_SHARED_KEY_FILE, layers) + ")");
            }
        }
        if (s.fluentUsersFile != null && s.fluentSharedKeyFile == null) {
            throw new ConfigException("fluent-users-file is set (" + originOf(ConfigKey.FLUENT_USERS_FILE, layers)
                    + ") but not fluent-shared-key-file: users are checked inside the shared-key handshake; pass"
                    + " --fluent-shared-key-file too");
        }
        if (s.fluentUsersFile != null) {
            try {
                readUsers(s.fluentUsersFile);
            } catch (ConfigException e) {
                throw new ConfigException(e.getMessage() + " (" + originOf(ConfigKey.FLUENT_USERS_FILE, layers) + ")");
            }
        }
        if ((s.relpPort != null || s.fluentPort != null || s.otlpPort != null) && s.ackLevel.equals("durable")
                && s.syncInterval.kind() == SyncPolicy.Kind.NEVER) {
            throw new ConfigException("ack-level durable with sync-interval never: the RELP/Fluent/OTLP listeners would never"
                    + " acknowledge (nothing syncs while running); pass --ack-level written or a --sync-interval");
        }
        if (s.channelBytes < s.maxFrameBytes) {
            throw new ConfigException("channel-bytes (" + s.written(ConfigKey.CHANNEL_BYTES) + ") is smaller than max-frame ("
                    + s.written(ConfigKey.MAX_FRAME) + "); one frame must fit in the channel: raise channel-bytes");
        }
        return s;
    }

    /** The Fluent shared key in {@code file}: its text, without the line end an editor leaves. */
    public static String readSharedKey(Path file) throws ConfigException {
        String key;
        try {
            key = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new ConfigException("fluent-shared-key-file " + file + " cannot be read: " + e);
        }
        key = withoutBom(key).replaceAll("[\\r\\n]+$", "");
        if (key.isEmpty()) {
            throw new ConfigException("fluent-shared-key-file " + file + " is empty: put the key in it");
        }
        return key;
    }

    /**
     * The Fluent users in {@code file}: one {@code name:password} a line (the password is the rest of
     * the line, so it may hold {@code :}); blank lines and lines starting with {@code #} are skipped.
     */
    public static Map<String, String> readUsers(Path file) throws ConfigException {
        List<String> lines;
        try {
            lines = java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new ConfigException("fluent-users-file " + file + " cannot be read: " + e);
        }
        Map<String, String> users = new java.util.LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = (i == 0 ? withoutBom(lines.get(i)) : lines.get(i)).replaceAll("\\r$", "");
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || colon == line.length() - 1) {
                throw new ConfigException("fluent-users-file " + file + " line " + (i + 1)
                        + " is not name:password (both non-empty)");
            }
            String name = line.substring(0, colon);
            if (users.putIfAbsent(name, line.substring(colon + 1)) != null) {
                throw new ConfigException("fluent-users-file " + file + " line " + (i + 1) + " names user '" + name
                        + "' again");
            }
        }
        if (users.isEmpty()) {
            throw new ConfigException("fluent-users-file " + file + " has no users: put name:password lines in it");
        }
        return users;
    }

    /** {@code text} without the byte-order mark some editors put first (it would count as part of a key or a name). */
    private static String withoutBom(String text) {
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** The defaults alone. */
    public static ServeSettings defaults() {
        try {
            return resolve(null);
        } catch (ConfigException e) {
            throw new AssertionError("defaults contradict each other", e);
        }
    }

    private static Object pick(ConfigKey key, SettingsLayer... layers) {
        for (int i = layers.length - 1; i >= 0; i--) {
            if (layers[i] != null && layers[i].has(key)) {
                return layers[i].get(key);
            }
        }
        return key.defaultText() == null ? null : key.parse(key.defaultText());
    }

    private static Map<ConfigKey, String> writtenTexts(SettingsLayer... layers) {
        Map<ConfigKey, String> m = new EnumMap<>(ConfigKey.class);
        for (ConfigKey k : ConfigKey.values()) {
            String text = k.defaultText();
            for (int i = layers.length - 1; i >= 0; i--) {
                if (layers[i] != null && layers[i].has(k)) {
                    text = layers[i].text(k);
                    break;
                }
            }
            if (text != null) {
                m.put(k, text);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * A setting as the user wrote it (or its default), for printing it back: {@code 10GB} stays
     * {@code 10GB}, {@code 7d,10GB} stays {@code 7d,10GB}; null when it is not set.
     */
    public String written(ConfigKey key) {
        return written.get(key);
    }

    private static String originOf(ConfigKey key, SettingsLayer... layers) {
        for (int i = layers.length - 1; i >= 0; i--) {
            if (layers[i] != null && layers[i].has(key)) {
                return "from " + layers[i].origin(key);
            }
        }
        return "default";
    }

    /** Whether TLS is on for the listener. */
    public boolean tls() {
        return tlsCert != null;
    }

    /**
     * The settings as lines of {@code name: value} for the startup block and {@code validate}.
     */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add(row("listen", (tls() ? "tls://" : "tcp://") + hostPort(bind, port) + "  (format " + format + ")"));
        if (relpPort != null) {
            lines.add(row("relp", (tls() ? "tls://" : "tcp://") + hostPort(bind, relpPort) + "  (ack " + ackLevel + ")"));
        }
        if (fluentPort != null) {
            lines.add(row("fluent", (tls() ? "tls://" : "tcp://") + hostPort(bind, fluentPort) + "  (ack " + ackLevel
                    + (fluentSharedKeyFile != null ? ", shared key from " + fluentSharedKeyFile : "")
                    + (fluentUsersFile != null ? ", users from " + fluentUsersFile : "") + ")"));
        }
        if (otlpPort != null) {
            lines.add(row("otlp", (tls() ? "https://" : "http://") + hostPort(bind, otlpPort) + "/v1/logs  (ack " + ackLevel + ")"));
        }
        lines.add(row("data", data.toString()));
        lines.add(row("admin", "http://" + hostPort(adminBind, adminPort)));
        lines.add(row("sync", syncInterval.kind() == SyncPolicy.Kind.INTERVAL
                ? "every " + written(ConfigKey.SYNC_INTERVAL) : SyncPolicies.format(syncInterval)));
        lines.add(row("roll cycle", rollCycle));
        lines.add(row("retention", retention.equals(Retention.FOREVER) ? "forever"
                : written(ConfigKey.RETENTION).replaceAll("\\s*,\\s*", ",")));
        lines.add(row("limits", "max-frame " + written(ConfigKey.MAX_FRAME) + " (" + oversize + "), malformed "
                + malformed + ", max-connections " + maxConnections + ", idle-timeout "
                + (idleTimeout.isZero() ? "never" : written(ConfigKey.IDLE_TIMEOUT))));
        lines.add(row("channel", channelRecords + " records / " + written(ConfigKey.CHANNEL_BYTES)));
        lines.add(row("drain", written(ConfigKey.DRAIN_TIMEOUT)));
        lines.add(row("warm-up", warmup.isZero() ? "off"
                : "up to " + written(ConfigKey.WARMUP) + " (JIT, on a throwaway journal, before listening)"));
        lines.add(row("min-free", written(ConfigKey.MIN_FREE) + " (below it the journal pauses until space returns)"));
        if (tls()) {
            lines.add(row("tls", "cert " + tlsCert + ", key " + tlsKey
                    + (tlsClientCa == null ? "" : ", client certs required (CA " + tlsClientCa + ")")));
        }
        if (configFile != null) {
            lines.add(row("config", configFile.toString()));
        }
        return lines;
    }

    private static String row(String name, String value) {
        return String.format(Locale.ROOT, "%-11s %s", name, value);
    }

    /** {@code host:port}, with brackets around an IPv6 literal. */
    public static String hostPort(String host, int port) {
        // an IPv6 address in brackets, once (--bind [::1] is written with them already)
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
