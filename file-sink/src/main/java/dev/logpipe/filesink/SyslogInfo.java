package dev.logpipe.filesink;

/**
 * The syslog header fields of a record decoded from syslog (RFC 5424 or RFC 3164) that have no
 * general field of their own in {@link LogRecord}. Absent values are empty strings, never null
 * (RFC 5424's NILVALUE {@code -} is stored as empty).
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param facility the facility code, 0..23
 * @param severity the severity code, 0..7
 * @param appName the APP-NAME (RFC 5424) or TAG (RFC 3164)
 * @param procId the PROCID, or the pid in a {@code tag[pid]:} RFC 3164 header
 * @param msgId the MSGID (RFC 5424 only)
 * @param structuredData the STRUCTURED-DATA element text as received (RFC 5424 only), e.g.
 *     {@code [exampleSDID@32473 iut="3"]}
 */
public record SyslogInfo(int facility, int severity, String appName, String procId, String msgId,
                         String structuredData) {

    public SyslogInfo {
        if (facility < 0 || facility > 23) {
            throw new IllegalArgumentException("syslog facility must be 0..23, was " + facility);
        }
        if (severity < 0 || severity > 7) {
            throw new IllegalArgumentException("syslog severity must be 0..7, was " + severity);
        }
        appName = appName == null ? "" : appName;
        procId = procId == null ? "" : procId;
        msgId = msgId == null ? "" : msgId;
        structuredData = structuredData == null ? "" : structuredData;
    }

    /** The PRI value, {@code facility * 8 + severity}. */
    public int pri() {
        return facility * 8 + severity;
    }
}
