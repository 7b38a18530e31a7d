package dev.logpipe.filesink;

/**
 * A journal record as one JSON object: the shape of {@code logpipe tail --format json}, and of every
 * other place that hands records on as JSON (a forwarder's message value). Keys, in order:
 * {@code index}, {@code time} (event time, ISO-8601 UTC), {@code receive_time}, {@code level},
 * {@code host}, {@code service}, {@code message}, {@code fields} (an object; a field that holds JSON
 * is written as that JSON), {@code source}, {@code format}, {@code flags} (an array), and for syslog
 * records {@code syslog} with {@code facility}, {@code severity}, {@code app_name}, {@code proc_id},
 * {@code msg_id} and {@code structured_data}.
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
        sb.append("{\"index\":").append(index);
        sb.append(",\"time\":\"").append(r.eventTime()).append('"');
        sb.append(",\"receive_time\":\"").append(r.receiveTime()).append('"');
        sb.append(",\"level\":\"").append(r.level().name()).append('"');
        str(sb, "host", r.host());
        str(sb, "service", r.service());
        str(sb, "message", r.message());
        sb.append(",\"fields\":{");
        for (int i = 0; i < r.fieldCount(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            FieldValue.appendJsonString(sb, r.fieldName(i));
            sb.append(':').append(r.fieldValue(i).toJson());
        }
        sb.append('}');
        str(sb, "source", r.source());
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
            str(sb, "app_name", s.appName());
            str(sb, "proc_id", s.procId());
            str(sb, "msg_id", s.msgId());
            str(sb, "structured_data", s.structuredData());
            sb.append('}');
        }
        return sb.append('}');
    }

    private static void str(StringBuilder sb, String name, String value) {
        sb.append(",\"").append(name).append("\":");
        FieldValue.appendJsonString(sb, value);
    }
}
