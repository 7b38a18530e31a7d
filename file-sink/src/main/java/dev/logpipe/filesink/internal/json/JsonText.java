package dev.logpipe.filesink.internal.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SyslogInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * Jackson generators that append to a {@link StringBuilder}, configured to escape exactly as logpipe's
 * JSON always has (the record JSON is a format users and the Kafka forwarder depend on): {@code "}
 * and {@code \} escaped, {@code \n \r \t \b \f} by name, other control characters as {@code \}{@code u00xx}
 * in lower-case hex, and everything else ({@code /}, DEL, non-ASCII) as the character itself.
 *
 * <p>Threading: thread-safe; {@link #append} keeps one generator per thread (a {@code ThreadLocal}),
 * used by one call at a time; each generator it hands out is confined to its caller.
 */
public final class JsonText {

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .disable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES)
            .rootValueSeparator((String) null)
            .build();

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final IsoInstant EVENT_TIME = new IsoInstant();
    private static final IsoInstant RECEIVE_TIME = new IsoInstant();

    private JsonText() {
    }

    /** What writes into a generator. */
    @FunctionalInterface
    public interface Content {
        void writeTo(JsonGenerator g) throws IOException;
    }

    /**
     * Appends what {@code content} writes to {@code sb}; returns {@code sb}. Through a generator kept per
     * thread: making one per call (its buffers taken from and given back to Jackson's recycler) cost a
     * quarter of {@code tail --format json}'s time.
     */
    public static StringBuilder append(StringBuilder sb, Content content) {
        Reused r = REUSED.get();
        if (r.out.target != null) {
            return appendFresh(sb, content); // called from inside a content: not the thread's generator
        }
        r.out.target = sb;
        boolean done = false;
        try {
            content.writeTo(r.g);
            r.g.flush();
            done = true;
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e); // a StringBuilder does not fail
        } finally {
            r.out.target = null;
            if (!done) {
                REUSED.remove(); // a generator left inside a value is not used again
            }
        }
        return sb;
    }

    private static StringBuilder appendFresh(StringBuilder sb, Content content) {
        try (JsonGenerator g = FACTORY.createGenerator(new StringBuilderWriter(sb))) {
            content.writeTo(g);
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e);
        }
        return sb;
    }

    private static final ThreadLocal<Reused> REUSED = ThreadLocal.withInitial(Reused::new);

    /** A thread's generator, writing into whichever StringBuilder the current call gave. */
    private static final class Reused {
        final StringBuilderWriter out = new StringBuilderWriter(null);
        final JsonGenerator g;

        Reused() {
            try {
                g = FACTORY.createGenerator(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Appends {@code s} as a quoted JSON string, escaped as the generators here escape. Written by hand:
     * a generator per short string costs more than the escaping (bench/RESULTS.md, JsonWriteBench (a')),
     * and Jackson's {@code JsonStringEncoder} writes upper-case hex.
     */
    /**
     * {@code text} if it is exactly one JSON value, with whitespace outside strings dropped.
     *
     * @throws IllegalArgumentException if it is not
     */
    public static String checkedValue(String text) {
        try (com.fasterxml.jackson.core.JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() == null) {
                throw new IllegalArgumentException("a JSON field value must not be empty");
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("not one JSON value (something follows it): " + abbreviate(text));
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + abbreviate(text) + " (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + abbreviate(text), e);
        }
        return compact(text);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }

    /** {@code json} without whitespace outside its strings (valid JSON has none inside them unescaped). */
    private static String compact(String json) {
        StringBuilder sb = null;
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            boolean drop = false;
            if (inString) {
                if (c == '\\') {
                    if (sb != null) {
                        sb.append(c);
                    }
                    i++;
                    c = json.charAt(i);
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                drop = true;
            }
            if (drop && sb == null) {
                sb = new StringBuilder(json.length()).append(json, 0, i);
            } else if (!drop && sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? json : sb.toString();
    }

    public static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
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
                        sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * Writes record {@code r} at journal index {@code index} as {@link dev.logpipe.filesink.RecordJson}'s
     * object into {@code g} (also for callers that reuse a generator).
     */
    public static void record(JsonGenerator g, long index, LogRecord r) throws IOException {
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeStringField("time", EVENT_TIME.of(r.eventTimeNanos()));
        g.writeStringField("receive_time", RECEIVE_TIME.of(r.receiveTimeNanos()));
        g.writeStringField("level", r.level().name());
        g.writeStringField("host", r.host());
        g.writeStringField("service", r.service());
        g.writeStringField("message", r.message());
        g.writeObjectFieldStart("fields");
        for (int i = 0; i < r.fieldCount(); i++) {
            g.writeFieldName(r.fieldName(i));
            FieldValue v = r.fieldValue(i);
            if (v.json()) {
                g.writeRawValue(v.text()); // already JSON text: kept as the sender wrote it
            } else {
                g.writeString(v.text());
            }
        }
        g.writeEndObject();
        g.writeStringField("source", r.source());
        g.writeStringField("format", r.format().name());
        g.writeArrayFieldStart("flags");
        for (RecordFlag flag : r.flags()) {
            g.writeString(flag.name());
        }
        g.writeEndArray();
        SyslogInfo s = r.syslog();
        if (s != null) {
            g.writeObjectFieldStart("syslog");
            g.writeNumberField("facility", s.facility());
            g.writeNumberField("severity", s.severity());
            g.writeStringField("app_name", s.appName());
            g.writeStringField("proc_id", s.procId());
            g.writeStringField("msg_id", s.msgId());
            g.writeStringField("structured_data", s.structuredData());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    /**
     * A {@link Writer} that appends to a {@link StringBuilder}, without {@link java.io.StringWriter}'s
     * locking. {@link #append}'s kept generator writes through one whose target each call sets.
     */
    public static final class StringBuilderWriter extends Writer {
        StringBuilder target;

        public StringBuilderWriter(StringBuilder sb) {
            this.target = sb;
        }

        @Override
        public void write(char[] cbuf, int off, int len) {
            target.append(cbuf, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            target.append(str, off, off + len);
        }

        @Override
        public void write(int c) {
            target.append((char) c);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
