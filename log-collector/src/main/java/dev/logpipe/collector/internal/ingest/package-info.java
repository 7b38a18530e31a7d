/**
 * Not API. The TCP ingest decoders: framing (LF/CRLF lines, RFC 6587 octet counting), wire-format
 * detection, and the parsers that turn a frame into a {@link dev.logpipe.filesink.LogRecord}
 * (newline-delimited JSON, syslog RFC 5424/3164, plain text) or, for a flat JSON object and an RFC
 * 5424 frame, straight into the journal's record layout ({@link dev.logpipe.filesink.EncodedRecord},
 * fired in an {@link dev.logpipe.filesink.AppendRequest}). The server installs them with
 * {@link dev.logpipe.collector.internal.ingest.IngestDecoders#install}; no {@code ByteBuf} leaves
 * these handlers.
 */
package dev.logpipe.collector.internal.ingest;
