/**
 * How the OTLP/HTTP receiver works: the Netty HTTP server and its per-connection handler, the OTLP
 * JSON codec, the mapping from OTLP log records to logpipe records, and the receiver's counters.
 * Not API: use {@link dev.logpipe.otlp.OtlpReceiver}.
 */
package dev.logpipe.otlp.internal;
