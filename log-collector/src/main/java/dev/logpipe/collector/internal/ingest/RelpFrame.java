package dev.logpipe.collector.internal.ingest;

import dev.logpipe.filesink.LogRecord;

/**
 * One decoded RELP frame: {@code TXNR SP COMMAND SP DATALEN [SP DATA] LF}.
 *
 * <p>Threading: immutable, thread-safe. It owns no buffer.
 *
 * @param txnr the transaction number (0 for hints)
 * @param command the command, e.g. {@code open}, {@code syslog}, {@code close}
 * @param record for {@code syslog}: the record decoded from the data, or null when the data was
 *     empty or dropped by the malformed policy; null for other commands
 * @param text for commands other than {@code syslog}: the data as text (empty when there is none)
 */
public record RelpFrame(long txnr, String command, LogRecord record, String text) {

    /** The command that carries a syslog message. */
    public static final String SYSLOG = "syslog";
}
