package dev.logpipe.filesink;

import java.util.Objects;

/**
 * The value of one structured field of a {@link LogRecord}: either a string, or a JSON value
 * (number, boolean, null, object or array) kept as the exact JSON text the sender wrote, so that
 * nothing is lost or reformatted on the way through logpipe.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param text the string itself when {@code json} is false; compact JSON text when it is true
 * @param json whether {@code text} is JSON text rather than a plain string
 */
public record FieldValue(String text, boolean json) {

    public FieldValue {
        Objects.requireNonNull(text, "text");
    }

    /** A plain string value. */
    public static FieldValue string(String value) {
        return new FieldValue(value, false);
    }

    /** A JSON value given as its JSON text, e.g. {@code 42}, {@code true}, {@code {"a":1}}. */
    public static FieldValue json(String jsonText) {
        return new FieldValue(jsonText, true);
    }

    /** This value as JSON text: strings quoted and escaped, JSON values as they are. */
    public String toJson() {
        if (json) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 2);
        appendJsonString(sb, text);
        return sb.toString();
    }

    /** Appends {@code s} as a quoted, escaped JSON string. */
    public static void appendJsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        return json ? text : toJson();
    }
}
