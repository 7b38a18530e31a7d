package dev.logpipe.server.internal.config;

import java.util.EnumMap;
import java.util.Map;

/**
 * Some of the settings of {@code logpipe serve}, from one source (the config file or the flags),
 * each with where it came from so that a later error can point there.
 *
 * <p>Threading: confined; build it on one thread, then only read it.
 */
public final class SettingsLayer {

    private final Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
    private final Map<ConfigKey, String> origins = new EnumMap<>(ConfigKey.class);
    private final Map<ConfigKey, String> texts = new EnumMap<>(ConfigKey.class);
    private ForwardKafkaSection forwardKafka;

    /**
     * Parses {@code text} for {@code key} and sets it.
     *
     * @param origin where the text came from, for messages: {@code "--port"}, {@code "logpipe.yaml line 4"}
     * @throws IllegalArgumentException from the key's parser
     */
    public SettingsLayer set(ConfigKey key, String text, String origin) {
        values.put(key, key.parse(text));
        origins.put(key, origin);
        texts.put(key, text.trim());
        return this;
    }

    public boolean has(ConfigKey key) {
        return values.containsKey(key);
    }

    public Object get(ConfigKey key) {
        return values.get(key);
    }

    /** The value as the user wrote it (trimmed), for printing it back: {@code 10GB}, not {@code 9.3GiB}. */
    public String text(ConfigKey key) {
        return texts.get(key);
    }

    public String origin(ConfigKey key) {
        return origins.get(key);
    }

    /** Sets the config file's {@code forward: kafka:} section. */
    public SettingsLayer forwardKafka(ForwardKafkaSection section) {
        this.forwardKafka = section;
        return this;
    }

    /** The config file's {@code forward: kafka:} section, or null when it has none. */
    public ForwardKafkaSection forwardKafka() {
        return forwardKafka;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }
}
