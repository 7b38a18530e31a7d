package dev.logpipe.filesink;

import dev.logpipe.filesink.internal.json.JsonText;
import java.util.Objects;

/**
 * The value of one structured field of a {@link LogRecord}: either a string, or a JSON value
 * (number, boolean, null, object or array) kept as the exact JSON text the sender wrote, so that
 * nothing is lost or reformatted on the way through logpipe.
 *
 * <p>{@link #json} checks its text; the constructor does not (logpipe's own decoders give it text
 * they parsed): text that is not one JSON value would be written as it is into every JSON a reader
 * prints ({@code "fields":{"j":not json {}}).
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

    /**
     * A JSON value given as its JSON text, e.g. {@code 42}, {@code true}, {@code {"a":1}}; whitespace
     * outside strings is dropped (the text goes into one-line JSON output as it is).
     *
     * @throws IllegalArgumentException if the text is not exactly one JSON value
     */
    public static FieldValue json(String jsonText) {
        return new FieldValue(JsonText.checkedValue(jsonText), true);
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

    /** Appends {@code s} as a quoted, escaped JSON string (the escaping of {@link RecordJson}). */
    public static void appendJsonString(StringBuilder sb, String s) {
        JsonText.appendString(sb, s);
    }

    @Override
    public String toString() {
        return json ? text : toJson();
    }
}
