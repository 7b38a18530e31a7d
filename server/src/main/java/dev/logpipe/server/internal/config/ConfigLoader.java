package dev.logpipe.server.internal.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a {@code logpipe} YAML config file into a {@link SettingsLayer}.
 *
 * <p>The file is a mapping whose keys are the long flags of {@code logpipe serve} without
 * {@code --} (see {@link ConfigKey}). Values are scalars, or for {@code retention} also a list.
 * One key holds a section instead: {@code forward:} with {@code kafka:} under it, whose keys are
 * the long options of {@code logpipe forward kafka} ({@link ForwardKafkaKey}, {@link ForwardKafkaSection}).
 * Every value is interpolated ({@link Interpolator}) before it is parsed. Any error (YAML syntax,
 * an unknown or repeated key, a bad value, an unset variable) fails the whole load with a message
 * naming the file, the line and the key.
 *
 * <p>It walks Jackson's YAML token stream itself rather than binding a POJO, so that every key and
 * every value keeps its exact line for messages, interpolation happens before type conversion
 * ({@code port: ${PORT:-5140}}), and one parser per key ({@link ConfigKey}) serves both the file
 * and the flags.
 *
 * <p>Threading: immutable, thread-safe.
 */
public final class ConfigLoader {

    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** The section of forwarders, and its one destination. */
    static final String FORWARD = "forward";
    static final String KAFKA = "kafka";

    private final Interpolator interpolator;

    public ConfigLoader(Interpolator interpolator) {
        this.interpolator = interpolator;
    }

    /** A loader that interpolates from the process environment. */
    public static ConfigLoader withSystemEnv() {
        return new ConfigLoader(new Interpolator(System::getenv));
    }

    /** Reads and checks the config file at {@code file}. */
    public SettingsLayer load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist; check the path given to --config");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new ConfigException("config file " + file + " is not UTF-8 text (is it the right file?)");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        return load(file.toString(), new StringReader(text));
    }

    /** Reads and checks a config from {@code reader}; {@code name} is used in messages. */
    public SettingsLayer load(String name, Reader reader) throws ConfigException {
        String text;
        try {
            text = readAll(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + name + ": " + e.getMessage(), e);
        }
        checkSyntax(name, text); // the whole file first: a syntax error is reported as such, not as a bad value
        return interpret(name, text);
    }

    private static String readAll(Reader reader) throws IOException {
        StringBuilder sb = new StringBuilder();
        char[] buf = new char[8192];
        for (int n; (n = reader.read(buf)) >= 0; ) {
            sb.append(buf, 0, n);
        }
        return sb.toString();
    }

    /**
     * Walks every token of the document so that YAML syntax errors surface before any value is
     * interpreted, and reports them with the YAML parser's own line, column and cause.
     */
    private static void checkSyntax(String name, String text) throws ConfigException {
        try (JsonParser p = YAML.createParser(text)) {
            int depth = 0;
            int documents = 0;
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (depth == 0 && ++documents > 1) {
                    // the first document is all a config is read from: the rest would be ignored, unchecked
                    int l = p.currentLocation() == null ? -1 : p.currentLocation().getLineNr();
                    throw error(name, l, null, "a second YAML document (after '---'): a config is one document;"
                            + " put every setting in it");
                }
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                }
            }
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate field")) {
                int l = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
                throw error(name, l, null, msg.replace("Duplicate field", "key") + " is given twice; keep one");
            }
            throw syntaxError(name, e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + name + ": " + e.getMessage(), e);
        }
    }

    /** A YAML syntax error at the place and with the words of SnakeYAML, which found it. */
    private static ConfigException syntaxError(String name, JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
            Mark problem = m.getProblemMark();
            Mark context = m.getContextMark();
            StringBuilder sb = new StringBuilder(name);
            // Where the trouble started (an unclosed quote) beats where the parser gave up (the end).
            Mark at = context != null ? context : problem;
            sb.append(':').append(at.getLine() + 1).append(':').append(at.getColumn() + 1).append(": not valid YAML: ");
            if (m.getContext() != null) {
                sb.append(m.getContext()).append(": ");
            }
            sb.append(m.getProblem());
            if (context != null) {
                sb.append(" (at line ").append(problem.getLine() + 1).append(", column ").append(problem.getColumn() + 1).append(')');
            }
            return new ConfigException(sb.toString(), e);
        }
        int l = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
        return error(name, l, null, "not valid YAML: " + String.valueOf(e.getOriginalMessage()).replace('\n', ' '));
    }

    private SettingsLayer interpret(String name, String text) throws ConfigException {
        SettingsLayer layer = new SettingsLayer();
        EnumSet<ConfigKey> seen = EnumSet.noneOf(ConfigKey.class);
        try (JsonParser p = YAML.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null || t == JsonToken.VALUE_NULL) {
                return layer; // an empty file (or only comments) sets nothing
            }
            if (t != JsonToken.START_OBJECT) {
                throw error(name, line(p), null, "the config must be a mapping of keys to values, e.g. 'port: 5140'");
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String keyName = p.currentName();
                int keyLine = line(p);
                if (keyName.equals(FORWARD)) {
                    readForward(p, name, keyLine, layer);
                    continue;
                }
                Optional<ConfigKey> found = ConfigKey.byKey(keyName);
                if (found.isEmpty()) {
                    String hint = ConfigKey.closest(keyName).map(k -> "did you mean '" + k.key() + "'? ").orElse("");
                    throw error(name, keyLine, null, "unknown key '" + keyName + "'; " + hint
                            + "known keys: " + ConfigKey.allKeys() + ", " + FORWARD);
                }
                ConfigKey key = found.get();
                seen.add(key);
                List<String> raw = readValue(p, key, name);
                if (raw == null) {
                    continue; // "key:" with no value leaves the default
                }
                List<String> expanded = new ArrayList<>(raw.size());
                for (String r : raw) {
                    try {
                        expanded.add(interpolator.interpolate(r));
                    } catch (IllegalArgumentException e) {
                        throw error(name, keyLine, key, e.getMessage());
                    }
                }
                try {
                    layer.set(key, String.join(",", expanded), name + " line " + keyLine);
                } catch (IllegalArgumentException e) {
                    throw error(name, keyLine, key, e.getMessage());
                }
            }
        } catch (JsonProcessingException e) {
            throw syntaxError(name, e); // checkSyntax has seen the whole document; kept for safety
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + name + ": " + e.getMessage(), e);
        }
        return layer;
    }

    /**
     * The {@code forward:} section: a mapping of destinations (only {@code kafka}) to mappings of
     * {@link ForwardKafkaKey}s. A destination that is given must set its required keys.
     */
    private void readForward(JsonParser p, String name, int sectionLine, SettingsLayer layer)
            throws IOException, ConfigException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL || (t.isScalarValue() && p.getText().isEmpty())) {
            return; // "forward:" with nothing under it forwards nothing
        }
        if (t != JsonToken.START_OBJECT) {
            throw errorIn(name, line(p), FORWARD, "takes a mapping of destinations, e.g. 'forward:' then '  kafka:' indented");
        }
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String dest = p.currentName();
            int destLine = line(p);
            if (!dest.equals(KAFKA)) {
                throw errorIn(name, destLine, FORWARD, "unknown destination '" + dest + "'; known destinations: " + KAFKA);
            }
            String where = FORWARD + "." + KAFKA;
            t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw errorIn(name, destLine, where, "takes a mapping of settings, e.g. 'bootstrap-servers: kafka1:9092'"
                        + " and 'topic: logs' indented under it");
            }
            ForwardKafkaSection section = new ForwardKafkaSection();
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String keyName = p.currentName();
                int keyLine = line(p);
                ForwardKafkaKey key = ForwardKafkaKey.byKey(keyName).orElseThrow(() -> errorIn(name, keyLine, where,
                        "unknown key '" + keyName + "'; known keys: " + ForwardKafkaKey.allKeys()));
                t = p.nextToken();
                if (!t.isScalarValue()) {
                    throw errorIn(name, line(p), where + "." + key.key(), t == JsonToken.START_ARRAY
                            ? "takes one value, not a list" : "takes a plain value, not a nested mapping");
                }
                if (t == JsonToken.VALUE_NULL || p.getText().isEmpty()) {
                    continue; // "key:" with no value leaves the default
                }
                try {
                    section.set(key, interpolator.interpolate(p.getText()), name + " line " + keyLine);
                } catch (IllegalArgumentException e) {
                    throw errorIn(name, keyLine, where + "." + key.key(), e.getMessage());
                }
            }
            for (ForwardKafkaKey k : ForwardKafkaKey.values()) {
                if (k.required() && !section.has(k)) {
                    throw errorIn(name, destLine, where, k.key() + " is required; add '" + k.key() + ": "
                            + (k == ForwardKafkaKey.TOPIC ? "TOPIC" : "HOST:PORT[,HOST:PORT...]") + "' under it");
                }
            }
            layer.forwardKafka(section);
        }
    }

    private static List<String> readValue(JsonParser p, ConfigKey key, String name) throws IOException, ConfigException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t.isScalarValue()) {
            // "key:" with nothing after it reads as an empty string; like null, it sets nothing
            return p.getText().isEmpty() ? null : List.of(p.getText());
        }
        if (t == JsonToken.START_ARRAY && key.acceptsList()) {
            List<String> items = new ArrayList<>();
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (!t.isScalarValue()) {
                    throw error(name, line(p), key, "list items must be plain values such as 7d or 10GB");
                }
                items.add(p.getText());
            }
            return items;
        }
        throw error(name, line(p), key, t == JsonToken.START_ARRAY
                ? "takes one value, not a list"
                : "takes a plain value, not a nested mapping");
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    private static ConfigException error(String file, int line, ConfigKey key, String message) {
        return errorIn(file, line, key == null ? null : key.key(), message);
    }

    private static ConfigException errorIn(String file, int line, String key, String message) {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (key != null) {
            sb.append(key).append(": ");
        }
        return new ConfigException(sb.append(message).toString());
    }
}
