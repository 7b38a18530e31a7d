/**
 * The Netty TCP server of the log collector: transport and event loops, the per-connection pipeline
 * (TLS, idle and connection limits, the ingest decoders, backpressure into the journal channel) and
 * the drain that graceful shutdown runs. Not API: used by {@code dev.logpipe.collector.LogPipeline}.
 */
package dev.logpipe.collector.internal.server;
