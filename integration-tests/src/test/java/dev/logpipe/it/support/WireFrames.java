package dev.logpipe.it.support;

import java.nio.charset.StandardCharsets;

/**
 * Builds wire frames whose message carries a marker {@code P<producer> S<seq>} that
 * {@link JournalScan} finds again in the stored record, whatever the format.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class WireFrames {

    /** The wire formats a producer can speak. */
    public enum Format {
        /** One JSON object per line. */
        NDJSON,
        /** RFC 5424 with RFC 6587 octet counting. */
        SYSLOG_OCTET,
        /** RFC 5424 with LF framing. */
        SYSLOG_LF,
        /** Plain text lines. */
        TEXT
    }

    /** About 100 bytes of filler, so that frames are about 200 bytes as in real logs. */
    private static final String FILLER =
            "user=alice action=checkout cart=3 items total=42.17 EUR latency_ms=12 region=eu-west-1 ok";

    private WireFrames() {
    }

    /** The marker text that identifies a record: {@code P<producer> S<seq>}. */
    public static String marker(String producer, long seq) {
        return "P" + producer + " S" + seq;
    }

    /** The message a producer sends for {@code seq}. */
    public static String message(String producer, long seq) {
        return marker(producer, seq) + " " + FILLER;
    }

    /** One complete frame (with its framing) in {@code format}. */
    public static byte[] frame(Format format, String producer, long seq) {
        String msg = message(producer, seq);
        return switch (format) {
            case NDJSON -> ("{\"ts\":\"2026-11-25T18:00:00.123Z\",\"level\":\"INFO\",\"service\":\"it\",\"host\":\"h-"
                    + producer + "\",\"msg\":\"" + msg + "\",\"seq\":" + seq + "}\n").getBytes(StandardCharsets.UTF_8);
            case SYSLOG_OCTET -> {
                byte[] body = syslog(producer, msg).getBytes(StandardCharsets.UTF_8);
                byte[] prefix = (body.length + " ").getBytes(StandardCharsets.US_ASCII);
                byte[] f = new byte[prefix.length + body.length];
                System.arraycopy(prefix, 0, f, 0, prefix.length);
                System.arraycopy(body, 0, f, prefix.length, body.length);
                yield f;
            }
            case SYSLOG_LF -> (syslog(producer, msg) + "\n").getBytes(StandardCharsets.UTF_8);
            case TEXT -> (msg + "\n").getBytes(StandardCharsets.UTF_8);
        };
    }

    private static String syslog(String producer, String msg) {
        return "<14>1 2026-11-25T18:00:00.123Z h-" + producer + " it 4242 ID47 - " + msg;
    }
}
