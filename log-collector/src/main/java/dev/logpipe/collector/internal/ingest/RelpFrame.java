package dev.logpipe.collector.internal.ingest;

import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;

/**
 * One decoded RELP frame: {@code TXNR SP COMMAND SP DATALEN [SP DATA] LF}.
 *
 * <p>Threading: immutable, thread-safe. It owns no buffer.
 *
 * @param txnr the transaction number (0 for hints)
 * @param command the command, e.g. {@code open}, {@code syslog}, {@code close}
 * @param record for {@code syslog}: the record decoded from the data, or null when the data was
 *     empty or dropped by the malformed policy, or when it came {@code encoded}; null for other commands
 * @param encoded for {@code syslog}: the record read straight into the journal layout (an RFC 5424
 *     frame, see {@link FrameParser#encode}), or null
 * @param text for commands other than {@code syslog}: the data as text (empty when there is none)
 */
public record RelpFrame(long txnr, String command, LogRecord record, EncodedRecord encoded, String text) {

    /** The command that carries a syslog message. */
    public static final String SYSLOG = "syslog";

    /** Whether the frame carries a record to store (in either form). */
    public boolean hasRecord() {
        return record != null || encoded != null;
    }

    /** The record, decoded from its bytes if it came encoded (not cheap; for tests and logs); null if none. */
    public LogRecord decoded() {
        return record != null ? record : encoded == null ? null : encoded.decode();
    }
}
