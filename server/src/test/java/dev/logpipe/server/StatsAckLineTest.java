package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The {@code acks} line of {@code logpipe stats}: shown when the server reports acknowledged listeners. */
class StatsAckLineTest {

    private static String render(String json) throws Exception {
        StringWriter w = new StringWriter();
        StatsCommand.render(new ObjectMapper().readTree(json), new PrintWriter(w));
        return w.toString();
    }

    @Test
    void showsAcksWhenPresentAndNothingOtherwise() throws Exception {
        String base = "{\"ready\":true,\"uptime_seconds\":3,\"received_records\":{},\"received_bytes\":{},"
                + "\"rejected_records\":{},\"send_to_durable_seconds\":{\"count\":0}";
        assertFalse(render(base + "}").contains("acks"));
        String out = render(base + ",\"acks\":{\"received\":{\"relp\":3000},\"sent\":3000,\"failed\":1,\"pending\":2,"
                + "\"pressure_syncs\":5,\"protocol_errors\":{\"relp_bad_length\":1},"
                + "\"latency_p50_max_seconds\":0.005,\"latency_p99_max_seconds\":0.025}}");
        assertTrue(out.contains("acks                    3,000 sent     pending 2   refused 1   latency p50 ≤5.00ms p99 ≤25ms  (relp 3,000)"), out);
        assertTrue(out.contains("ack errors                  1          (relp_bad_length 1)"), out);
    }
}
