package dev.logpipe.filesink;

import dev.logpipe.filesink.internal.json.JsonText;

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
        return JsonText.append(sb, g -> JsonText.record(g, index, r));
    }
}
