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
import dev.logpipe.filesink.internal.json.JsonText;
import java.io.IOException;
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
 *       values, two nested; a message with a quote and non-ASCII text): {@code recordShipped} is
 *       {@link RecordJson#of} as shipped (Jackson's generator, one per call); {@code recordShippedBytes}
 *       is the Kafka forwarder's form ({@code RecordJson.append} into a reused builder, then UTF-8
 *       bytes); {@code recordHandWritten} is the hand-written writer {@code RecordJson} had before it
 *       moved to Jackson, kept here as the baseline; {@code recordJacksonReused} and
 *       {@code recordJacksonBytes} reuse one generator (over a {@link StringBuilder}, or UTF-8 over a
 *       {@link ByteArrayBuilder}), the form not taken because it needs per-thread state.</li>
 *   <li>(a') one short string as a quoted JSON string ({@code FieldValue.appendJsonString}, which
 *       {@code tail}'s text format calls per field): {@code stringShipped} (a hand-written loop)
 *       against a Jackson generator per call, {@code stringJacksonPerCall}.</li>
 *   <li>(b) making a nested JSON value compact (whitespace outside strings removed), as NDJSON ingest
 *       does for an object or array field: {@code compactHand*} is {@code JsonLineParser.compact} as
 *       shipped (called through a method handle: it is internal to log-collector), on a pretty-printed
 *       value and on one already compact (the common case); {@code compactJackson*} re-parses the text
 *       and copies its tokens to a reused generator (numbers written as their text).</li>
 * </ul>
 *
 * <p>Every form is checked in {@link #setup} to produce exactly the shipped output, so the comparison
 * is of equal work. Run: {@code java -jar benchmarks/target/benchmarks.jar JsonWriteBench}.
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

    static final String SHORT = "c-42 \"gold\" tier, eu";

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
        reusedGen = FACTORY.createGenerator(new JsonText.StringBuilderWriter(genSb));
        bytesGen = FACTORY.createGenerator(bytes);
        compactGen = FACTORY.createGenerator(new JsonText.StringBuilderWriter(compactSb));

        String expected = RecordJson.of(record);
        check(expected, recordHandWritten(), "recordHandWritten");
        check(expected, recordJacksonReused(), "recordJacksonReused");
        check(expected, new String(recordJacksonBytes(), StandardCharsets.UTF_8), "recordJacksonBytes");
        check(expected, new String(recordShippedBytes(), StandardCharsets.UTF_8), "recordShippedBytes");
        check(stringShipped(), stringJacksonPerCall(), "stringJacksonPerCall");
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
    public String recordShipped() {
        return RecordJson.of(record);
    }

    @Benchmark
    public byte[] recordShippedBytes() {
        sb.setLength(0);
        return RecordJson.append(sb, record.index(), record.record()).toString().getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public String recordHandWritten() {
        LogRecord r = record.record();
        return HandWritten.record(new StringBuilder(256 + r.message().length()), record.index(), r).toString();
    }

    @Benchmark
    public String recordJacksonReused() throws IOException {
        genSb.setLength(0);
        JsonText.record(reusedGen, record.index(), record.record());
        reusedGen.flush();
        return genSb.toString();
    }

    @Benchmark
    public byte[] recordJacksonBytes() throws IOException {
        bytes.reset();
        JsonText.record(bytesGen, record.index(), record.record());
        bytesGen.flush();
        return bytes.toByteArray();
    }

    // (a') one short string

    @Benchmark
    public String stringShipped() {
        sb.setLength(0);
        FieldValue.appendJsonString(sb, SHORT);
        return sb.toString();
    }

    @Benchmark
    public String stringJacksonPerCall() {
        sb.setLength(0);
        JsonText.append(sb, g -> g.writeString(SHORT));
        return sb.toString();
    }

    /**
     * The record writer logpipe had before {@code RecordJson} moved to Jackson (the baseline of (a));
     * its strings go through the shipped {@code FieldValue.appendJsonString}, as they did.
     */
    static final class HandWritten {
        private HandWritten() {
        }

        static StringBuilder record(StringBuilder sb, long index, LogRecord r) {
            sb.append("{\"index\":").append(index);
            sb.append(",\"time\":\"").append(r.eventTime()).append('"');
            sb.append(",\"receive_time\":\"").append(r.receiveTime()).append('"');
            sb.append(",\"level\":\"").append(r.level().name()).append('"');
            field(sb, "host", r.host());
            field(sb, "service", r.service());
            field(sb, "message", r.message());
            sb.append(",\"fields\":{");
            for (int i = 0; i < r.fieldCount(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                FieldValue.appendJsonString(sb, r.fieldName(i));
                sb.append(':');
                FieldValue v = r.fieldValue(i);
                if (v.json()) {
                    sb.append(v.text());
                } else {
                    FieldValue.appendJsonString(sb, v.text());
                }
            }
            sb.append('}');
            field(sb, "source", r.source());
            sb.append(",\"format\":\"").append(r.format().name()).append('"');
            sb.append(",\"flags\":[");
            boolean first = true;
            for (RecordFlag flag : r.flags()) {
                sb.append(first ? "" : ",").append('"').append(flag.name()).append('"');
                first = false;
            }
            sb.append(']');
            SyslogInfo s = r.syslog();
            if (s != null) {
                sb.append(",\"syslog\":{\"facility\":").append(s.facility()).append(",\"severity\":").append(s.severity());
                field(sb, "app_name", s.appName());
                field(sb, "proc_id", s.procId());
                field(sb, "msg_id", s.msgId());
                field(sb, "structured_data", s.structuredData());
                sb.append('}');
            }
            return sb.append('}');
        }

        private static void field(StringBuilder sb, String name, String value) {
            sb.append(",\"").append(name).append("\":");
            FieldValue.appendJsonString(sb, value);
        }
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
}
