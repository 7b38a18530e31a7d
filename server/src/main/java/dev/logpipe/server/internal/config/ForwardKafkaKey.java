package dev.logpipe.server.internal.config;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every key of the config file's {@code forward: kafka:} section: the long options of
 * {@code logpipe forward kafka} without {@code --}, with the same defaults, each with its parser.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum ForwardKafkaKey {
    BOOTSTRAP_SERVERS("bootstrap-servers", null, ForwardKafkaKey::servers),
    TOPIC("topic", null, ForwardKafkaKey::topic),
    NAME("name", null, ConfigValues::word),
    MODE("mode", "exactly-once", s -> ConfigValues.oneOf(s, "exactly-once", "at-least-once")),
    FROM("from", "start", s -> ConfigValues.oneOf(s, "start", "end")),
    KEY("key", "service", s -> ConfigValues.oneOf(s, "service", "host", "none")),
    NODE("node", null, ConfigValues::word),
    PRODUCER_CONFIG("producer-config", null, ConfigValues::path),
    TRANSACTION_RECORDS("transaction-records", "10000", s -> ConfigValues.positiveInt(s, "")),
    TRANSACTION_TIME("transaction-time", "100ms", s -> ConfigValues.positiveDuration(s, "")),
    STARTUP_TIMEOUT("startup-timeout", "30s", s -> ConfigValues.positiveDuration(s, "")),
    ADMIN_PORT("admin-port", null, ConfigValues::port),
    ADMIN_BIND("admin-bind", "127.0.0.1", ConfigValues::word);

    private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    private final String key;
    private final String defaultText;
    private final Function<String, Object> parser;

    ForwardKafkaKey(String key, String defaultText, Function<String, Object> parser) {
        this.key = key;
        this.defaultText = defaultText;
        this.parser = parser;
    }

    /** The key in the section, which is also the command's long option without {@code --}. */
    public String key() {
        return key;
    }

    /** The command's long option, e.g. {@code --topic}. */
    public String flag() {
        return "--" + key;
    }

    /** The default as a user would write it, or {@code null} when there is none (not set, or required). */
    public String defaultText() {
        return defaultText;
    }

    /** Whether the section must give it. */
    public boolean required() {
        return this == BOOTSTRAP_SERVERS || this == TOPIC;
    }

    /**
     * Parses a value as written by a user.
     *
     * @throws IllegalArgumentException with a message that says what is expected
     */
    public Object parse(String text) {
        return parser.apply(text.trim());
    }

    public static Optional<ForwardKafkaKey> byKey(String name) {
        return Arrays.stream(values()).filter(k -> k.key.equals(name)).findFirst();
    }

    /** All keys, comma-separated, for messages. */
    public static String allKeys() {
        return Arrays.stream(values()).map(ForwardKafkaKey::key).collect(Collectors.joining(", "));
    }

    private static Object servers(String s) {
        if (s.isEmpty() || s.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + s + "' is not a list of brokers; use HOST:PORT[,HOST:PORT...]");
        }
        return s;
    }

    private static Object topic(String s) {
        if (!TOPIC_NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + s + "' is not a valid Kafka topic name (1-249 letters, digits, '.', '_', '-')");
        }
        return s;
    }
}
