package dev.logpipe.filesink;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.logpipe.filesink.internal.json.JsonText;
import java.io.IOException;

/**
 * A journal record as one JSON object: the shape of {@code logpipe tail --format json}, and of every
 * other place that hands records on as JSON (a forwarder's message value). Keys, in order:
 * {@code index}, {@code time} (event time, ISO-8601 UTC), {@code receive_time}, {@code level},
 * {@code host}, {@code service}, {@code message}, {@code fields} (an object; a field that holds JSON
 * is written as that JSON), {@code source}, {@code format}, {@code flags} (an array), and for syslog
 * records {@code syslog} with {@code facility}, {@code severity}, {@code app_name}, {@code proc_id},
 * {@code msg_id} and {@code structured_data}.
 *
 * <p>Written with Jackson's streaming generator, escaped as {@link FieldValue#appendJsonString} does.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class RecordJson {

    private RecordJson() {
    }

    /** The JSON object of a record read from the journal, without a line break. */
    public static String of(ReadRecord rr) {
        LogRecord r = rr.record();
        return append(new StringBuilder(256 + r.message().length()), rr.index(), r).toString();
    }

    /** Appends the JSON object of record {@code r} at journal index {@code index} to {@code sb}; returns {@code sb}. */
    public static StringBuilder append(StringBuilder sb, long index, LogRecord r) {
        return JsonText.append(sb, g -> write(g, index, r));
    }

    private static void write(JsonGenerator g, long index, LogRecord r) throws IOException {
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
}
