package dev.logpipe.collector.internal.ingest;

import dev.logpipe.filesink.LogRecord;
import java.util.List;
import org.msgpack.value.ImmutableValue;

/**
 * One decoded Fluent Forward message (an event stream in any of the four modes).
 *
 * <p>Threading: immutable, thread-safe. It owns no buffer.
 *
 * @param tag the message's tag
 * @param records its events as records, in order (empty for an empty stream)
 * @param chunk the {@code chunk} option exactly as sent (str or bin), or null when the client asks
 *     for no acknowledgement
 */
public record FluentMessage(String tag, List<LogRecord> records, ImmutableValue chunk) {
}
