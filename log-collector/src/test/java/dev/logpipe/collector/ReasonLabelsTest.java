package dev.logpipe.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reason labels are what dashboards and alerts match on ({@code reason="invalid_json"}) and what
 * stored records carry in {@code logpipe.error}: they must never change.
 */
class ReasonLabelsTest {

    @Test
    void rejectReasonLabelsAreTheDocumentedLowercaseNames() {
        assertEquals(List.of("invalid_json", "not_an_object", "invalid_utf8", "bad_syslog_header", "bad_octet_count",
                        "incomplete_frame", "oversize", "binary_garbage", "decoder_error", "fluent_bad_entry",
                        "otlp_bad_trace_id", "otlp_bad_span_id", "too_many_fields"),
                Arrays.stream(RejectReason.values()).map(RejectReason::label).toList());
        assertEquals("invalid_json", RejectReason.INVALID_JSON.toString(), "toString is the label (log lines)");
    }

    @Test
    void lostReasonLabelsAreTheDocumentedLowercaseNames() {
        assertEquals(List.of("journal_failure", "drain_timeout", "record_too_large"),
                Arrays.stream(LostReason.values()).map(LostReason::label).toList());
        assertEquals("drain_timeout", LostReason.DRAIN_TIMEOUT.toString());
    }
}
