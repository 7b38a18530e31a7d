package dev.logpipe.forward.kafka.internal;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RecordJson;
import dev.logpipe.forward.kafka.KeyMode;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RecordMapperTest {

    static final ReadRecord RR = new ReadRecord(4242L, LogRecord.builder().service("api").host("web-1")
            .message("hello \"world\"").field("k", "v").build());
    static final ReadRecord NO_SERVICE = new ReadRecord(7L, LogRecord.builder().message("m").build());

    static String utf8(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void valueIsTheTailJsonAndHeadersTraceTheRecordBack() {
        ProducerRecord<byte[], byte[]> pr = new RecordMapper("t", KeyMode.SERVICE, "node-é").map(RR);
        assertEquals("t", pr.topic());
        assertNull(pr.partition(), "the partitioner decides");
        assertEquals(RecordJson.of(RR), utf8(pr.value()));
        assertEquals("node-é", utf8(pr.headers().lastHeader("logpipe-node").value()));
        assertEquals("4242", utf8(pr.headers().lastHeader("logpipe-index").value()));
    }

    @Test
    void keyPerMode() {
        assertEquals("api", utf8(new RecordMapper("t", KeyMode.SERVICE, "n").map(RR).key()));
        assertEquals("web-1", utf8(new RecordMapper("t", KeyMode.HOST, "n").map(RR).key()));
        assertNull(new RecordMapper("t", KeyMode.NONE, "n").map(RR).key());
        assertNull(new RecordMapper("t", KeyMode.SERVICE, "n").map(NO_SERVICE).key(), "no service, no key");
        assertNull(new RecordMapper("t", KeyMode.HOST, "n").map(NO_SERVICE).key(), "no host, no key");
    }

    @Test
    void offsetRecordsAreKeyedByTheTransactionalIdOnOneFixedPartition() {
        OffsetStore s = new OffsetStore("offsets", "logpipe-n-fwd-1234", "n", "fwd", "/data \"x\"");
        ProducerRecord<byte[], byte[]> a = s.record(25, 17, 0);
        ProducerRecord<byte[], byte[]> b = s.record(25, 99, 2);
        assertEquals("offsets", a.topic());
        assertArrayEquals("logpipe-n-fwd-1234".getBytes(StandardCharsets.UTF_8), a.key());
        assertEquals(a.partition(), b.partition(), "every position of one id on one partition");
        assertEquals("{\"index\":17,\"repairs\":0,\"node\":\"n\",\"name\":\"fwd\",\"journal\":\"/data \\\"x\\\"\"}",
                utf8(a.value()));
        assertEquals(Optional.of(new OffsetStore.Committed(99, 2)), OffsetStore.parse(b.value()));
        assertEquals(Optional.of(new OffsetStore.Committed(-1, 0)),
                OffsetStore.parse("{\"index\":-1}".getBytes(StandardCharsets.UTF_8)), "written before repairs were kept");
        assertEquals(Optional.empty(), OffsetStore.parse("{}".getBytes(StandardCharsets.UTF_8)));
    }
}
