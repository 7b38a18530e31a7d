package dev.logpipe.server.internal.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The config file's {@code forward: kafka:} section: the settings of {@code logpipe forward kafka},
 * each with where it came from. {@code logpipe serve} ignores it; {@code logpipe forward kafka
 * --config FILE} runs from it (its flags win).
 *
 * <p>Threading: confined; built by the loader on one thread, then only read.
 */
public final class ForwardKafkaSection {

    private final Map<ForwardKafkaKey, Object> values = new EnumMap<>(ForwardKafkaKey.class);
    private final Map<ForwardKafkaKey, String> texts = new EnumMap<>(ForwardKafkaKey.class);
    private final Map<ForwardKafkaKey, String> origins = new EnumMap<>(ForwardKafkaKey.class);

    /**
     * Parses {@code text} for {@code key} and sets it.
     *
     * @throws IllegalArgumentException from the key's parser
     */
    void set(ForwardKafkaKey key, String text, String origin) {
        values.put(key, key.parse(text));
        texts.put(key, text.trim());
        origins.put(key, origin);
    }

    public boolean has(ForwardKafkaKey key) {
        return values.containsKey(key);
    }

    /** The parsed value, or null when the section does not set it. */
    public Object get(ForwardKafkaKey key) {
        return values.get(key);
    }

    /** The value as written (trimmed), or null. */
    public String text(ForwardKafkaKey key) {
        return texts.get(key);
    }

    public String origin(ForwardKafkaKey key) {
        return origins.get(key);
    }

    /** Every key with its value as written, or its default (in brackets) where it has one, for printing. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (ForwardKafkaKey k : ForwardKafkaKey.values()) {
            if (texts.containsKey(k)) {
                out.add(k.key() + ": " + texts.get(k));
            } else if (k.defaultText() != null) {
                out.add(k.key() + ": " + k.defaultText() + " (default)");
            }
        }
        return Collections.unmodifiableList(out);
    }
}
