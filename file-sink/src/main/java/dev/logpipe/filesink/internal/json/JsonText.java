package dev.logpipe.filesink.internal.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * Jackson generators that append to a {@link StringBuilder}, configured to escape exactly as logpipe's
 * JSON always has (the record JSON is a format users and the Kafka forwarder depend on): {@code "}
 * and {@code \} escaped, {@code \n \r \t \b \f} by name, other control characters as {@code \}{@code u00xx}
 * in lower-case hex, and everything else ({@code /}, DEL, non-ASCII) as the character itself.
 *
 * <p>Threading: stateless, thread-safe; each generator it makes is confined to its caller.
 */
public final class JsonText {

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .disable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES)
            .rootValueSeparator((String) null)
            .build();

    private JsonText() {
    }

    /** What writes into a generator. */
    @FunctionalInterface
    public interface Content {
        void writeTo(JsonGenerator g) throws IOException;
    }

    /** Appends what {@code content} writes to {@code sb}; returns {@code sb}. */
    public static StringBuilder append(StringBuilder sb, Content content) {
        try (JsonGenerator g = FACTORY.createGenerator(new StringBuilderWriter(sb))) {
            content.writeTo(g);
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e); // a StringBuilder does not fail
        }
        return sb;
    }

    /** Appends {@code s} as a quoted, escaped JSON string. */
    public static void appendString(StringBuilder sb, String s) {
        append(sb, g -> g.writeString(s));
    }

    /** A {@link Writer} that appends to a {@link StringBuilder}, without {@link java.io.StringWriter}'s locking. */
    private static final class StringBuilderWriter extends Writer {
        private final StringBuilder sb;

        StringBuilderWriter(StringBuilder sb) {
            this.sb = sb;
        }

        @Override
        public void write(char[] cbuf, int off, int len) {
            sb.append(cbuf, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            sb.append(str, off, off + len);
        }

        @Override
        public void write(int c) {
            sb.append((char) c);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
