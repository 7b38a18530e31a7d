package dev.logpipe.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.RecordJson;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import java.io.IOException;
import java.io.Writer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of logpipe's hand-written JSON writing against Jackson's streaming generator
 * (jackson-core), to decide where the hand-written code earns its place (issue 11).
 *
 * <ul>
 *   <li>(a) one {@code tail --format json} line of a typical record (ten fields, three of them JSON
 *       values, two nested; a message with a quote and non-ASCII text): {@code recordHand} is
 *       {@link RecordJson#of} as shipped; {@code recordHandBytes} is the Kafka forwarder's form
 *       ({@code RecordJson.append} into a reused builder, then UTF-8 bytes). The Jackson forms write
 *       the same bytes: a generator created per call over a {@link java.io.StringWriter}-like sink
 *       ({@code recordJacksonPerCall}), one generator reused across records over a reused
 *       {@link StringBuilder} ({@code recordJacksonReused}), and a reused UTF-8 generator over a
 *       reused {@link ByteArrayBuilder} ({@code recordJacksonBytes}).</li>
 *   <li>(b) making a nested JSON value compact (whitespace outside strings removed), as NDJSON ingest
 *       does for an object or array field: {@code compactHand*} is {@code JsonLineParser.compact} as
 *       shipped (called through a method handle: it is internal to log-collector), on a pretty-printed
 *       value and on one already compact (the common case); {@code compactJackson*} re-parses the text
 *       and copies its tokens to a reused generator (numbers written as their text).</li>
 * </ul>
 *
 * <p>Every Jackson form is checked in {@link #setup} to produce exactly the hand-written output, so
 * the comparison is of equal work. Run: {@code java -jar benchmarks/target/benchmarks.jar JsonWriteBench}.
 *
 * <p>Threading: JMH state, one benchmark thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class JsonWriteBench {

    /** Jackson configured to escape as logpipe does: lower-case hex, supplementary characters as UTF-8. */
    static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .rootValueSeparator((String) null)
            .build();

    private static final MethodHandle COMPACT;

    static {
        try {
            Class<?> c = Class.forName("dev.logpipe.collector.internal.ingest.JsonLineParser");
            Method m = c.getDeclaredMethod("compact", String.class);
            m.setAccessible(true);
            COMPACT = MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(String.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final String PRETTY = """
            {
              "user": { "id": 42, "name": "Zoë \\"z\\" Quinn", "roles": [ "admin", "billing" ] },
              "cart": [ { "sku": "A-1", "qty": 2, "price": 19.99 }, { "sku": "B-7", "qty": 1, "price": 5.0e2 } ],
              "ok": true, "note": null, "path": "/api/v1/checkout"
            }""";

    private ReadRecord record;
    private String compactText;
    private final StringBuilder sb = new StringBuilder(1024);
    private final StringBuilder genSb = new StringBuilder(1024);
    private JsonGenerator reusedGen;
    private final ByteArrayBuilder bytes = new ByteArrayBuilder(1024);
    private JsonGenerator bytesGen;
    private final StringBuilder compactSb = new StringBuilder(256);
    private JsonGenerator compactGen;

    @Setup
    public void setup() throws Throwable {
        LogRecord r = LogRecord.builder()
                .eventTime(Instant.parse("2026-11-25T19:04:30.357Z"))
                .receiveTime(Instant.parse("2026-11-25T19:04:30.361042117Z"))
                .level(Level.WARN).host("web-1").service("billing")
                .message("card declined for customer \"c-42\" (Zoë) after 3 attempts; gateway said: insufficient funds")
                .field("customer", "c-42")
                .fieldJson("attempt", "3")
                .field("gateway", "stripe")
                .field("request_id", "9f1c2a7e-5b3d-4e8f-a0c1-7d2e9b4f6a13")
                .fieldJson("user", "{\"id\":42,\"roles\":[\"admin\",\"billing\"]}")
                .field("path", "/api/v1/checkout")
                .fieldJson("amount", "{\"value\":1999,\"currency\":\"EUR\"}")
                .field("region", "eu-west-1")
                .field("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
                .fieldJson("retry", "false")
                .source("tcp:127.0.0.1:56222").format(SourceFormat.JSON)
                .build();
        record = new ReadRecord(8569095410679810L, r);
        compactText = (String) COMPACT.invokeExact(PRETTY);
        reusedGen = FACTORY.createGenerator(new StringBuilderWriter(genSb));
        bytesGen = FACTORY.createGenerator(bytes);
        compactGen = FACTORY.createGenerator(new StringBuilderWriter(compactSb));

        String expected = RecordJson.of(record);
        check(expected, recordJacksonPerCall(), "recordJacksonPerCall");
        check(expected, recordJacksonReused(), "recordJacksonReused");
        check(expected, new String(recordJacksonBytes(), StandardCharsets.UTF_8), "recordJacksonBytes");
        check(expected, new String(recordHandBytes(), StandardCharsets.UTF_8), "recordHandBytes");
        check(compactText, compactJacksonPretty(), "compactJacksonPretty");
        check(compactText, compactJacksonCompact(), "compactJacksonCompact");
    }

    private static void check(String expected, String got, String what) {
        if (!expected.equals(got)) {
            throw new IllegalStateException(what + " differs:\n  " + expected + "\n  " + got);
        }
    }

    // (a) one tail --format json line

    @Benchmark
    public String recordHand() {
        return RecordJson.of(record);
    }

    @Benchmark
    public byte[] recordHandBytes() {
        sb.setLength(0);
        return RecordJson.append(sb, record.index(), record.record()).toString().getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public String recordJacksonPerCall() throws IOException {
        StringBuilder out = new StringBuilder(256 + record.record().message().length());
        try (JsonGenerator g = FACTORY.createGenerator(new StringBuilderWriter(out))) {
            write(g, record.index(), record.record());
        }
        return out.toString();
    }

    @Benchmark
    public String recordJacksonReused() throws IOException {
        genSb.setLength(0);
        write(reusedGen, record.index(), record.record());
        reusedGen.flush();
        return genSb.toString();
    }

    @Benchmark
    public byte[] recordJacksonBytes() throws IOException {
        bytes.reset();
        write(bytesGen, record.index(), record.record());
        bytesGen.flush();
        return bytes.toByteArray();
    }

    /** The record as RecordJson writes it, through a generator. */
    static void write(JsonGenerator g, long index, LogRecord r) throws IOException {
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeStringField("time", r.eventTime().toString());
        g.writeStringField("receive_time", r.receiveTime().toString());
        g.writeStringField("level", r.level().name());
        g.writeStringField("host", r.host());
        g.writeStringField("service", r.service());
        g.writeStringField("message", r.message());
        g.writeObjectFieldStart("fields");
        for (int i = 0; i < r.fieldCount(); i++) {
            g.writeFieldName(r.fieldName(i));
            FieldValue v = r.fieldValue(i);
            if (v.json()) {
                g.writeRawValue(v.text());
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

    // (b) compact of a nested JSON value

    @Benchmark
    public String compactHandPretty() throws Throwable {
        return (String) COMPACT.invokeExact(PRETTY);
    }

    @Benchmark
    public String compactHandCompact() throws Throwable {
        return (String) COMPACT.invokeExact(compactText);
    }

    @Benchmark
    public String compactJacksonPretty() throws IOException {
        return compactJackson(PRETTY);
    }

    @Benchmark
    public String compactJacksonCompact() throws IOException {
        return compactJackson(compactText);
    }

    private String compactJackson(String json) throws IOException {
        compactSb.setLength(0);
        try (JsonParser p = FACTORY.createParser(json)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    compactGen.writeNumber(p.getText()); // the sender's spelling, not a re-encoded double
                } else {
                    compactGen.copyCurrentEvent(p);
                }
            }
        }
        compactGen.flush();
        return compactSb.toString();
    }

    /** A {@link Writer} appending to a {@link StringBuilder} (no locking, unlike {@link java.io.StringWriter}). */
    static final class StringBuilderWriter extends Writer {
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
