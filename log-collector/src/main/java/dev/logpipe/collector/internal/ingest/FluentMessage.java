package dev.logpipe.collector.internal.ingest;

import dev.logpipe.filesink.EncodedRecord;
import java.util.List;
import org.msgpack.value.ImmutableValue;

/**
 * One decoded Fluent Forward message (an event stream in any of the four modes), or one part of it: a
 * message with many events is fired in parts of a bounded size, in order, each part carrying the
 * message's tag and chunk; {@link #last()} marks the part that completes it. A small message is one
 * part.
 *
 * <p>Threading: immutable, thread-safe. It owns no buffer.
 *
 * @param tag the message's tag
 * @param records this part's events as encoded records, in order (empty for an empty stream)
 * @param chunk the {@code chunk} option exactly as sent (str or bin), or null when the client asks
 *     for no acknowledgement
 * @param last whether this part completes the message: the acknowledgement waits for it
 */
public record FluentMessage(String tag, List<EncodedRecord> records, ImmutableValue chunk, boolean last) {
}
