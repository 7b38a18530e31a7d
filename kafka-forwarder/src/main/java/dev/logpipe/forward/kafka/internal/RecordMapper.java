package dev.logpipe.forward.kafka.internal;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RecordJson;
import dev.logpipe.forward.kafka.KeyMode;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns a journal record into the Kafka record the forwarder sends: value = the record's JSON
 * ({@link RecordJson}, the shape of {@code tail --format json}), key per {@link KeyMode}, headers
 * {@code logpipe-node} (the node's id) and {@code logpipe-index} (the journal index, decimal ASCII).
 *
 * <p>Threading: confined to the forwarder's thread (it reuses a builder).
 */
public final class RecordMapper {

    /** Header with the forwarding node's id. */
    public static final String HEADER_NODE = "logpipe-node";
    /** Header with the record's journal index, in decimal ASCII. */
    public static final String HEADER_INDEX = "logpipe-index";

    private final String topic;
    private final KeyMode keyMode;
    private final byte[] node;
    private final StringBuilder sb = new StringBuilder(1024);

    public RecordMapper(String topic, KeyMode keyMode, String node) {
        this.topic = topic;
        this.keyMode = keyMode;
        this.node = node.getBytes(StandardCharsets.UTF_8);
    }

    public ProducerRecord<byte[], byte[]> map(ReadRecord rr) {
        LogRecord r = rr.record();
        sb.setLength(0);
        byte[] value = RecordJson.append(sb, rr.index(), r).toString().getBytes(StandardCharsets.UTF_8);
        String k = switch (keyMode) {
            case SERVICE -> r.service();
            case HOST -> r.host();
            case NONE -> null;
        };
        byte[] key = k == null || k.isEmpty() ? null : k.getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, null, key, value, List.of(
                new RecordHeader(HEADER_NODE, node),
                new RecordHeader(HEADER_INDEX, Long.toString(rr.index()).getBytes(StandardCharsets.US_ASCII))));
    }
}
