package dev.logpipe.otlp.internal;

import dev.logpipe.collector.Durability;
import io.netty.handler.ssl.SslContext;

import java.time.Duration;

/**
 * The settings an {@link OtlpHttpServer} runs with, resolved by {@code OtlpReceiver.Builder}.
 *
 * <p>Threading: immutable.
 *
 * @param ssl null without TLS
 */
public record ServerSettings(String bindAddress, int port, long maxBodyBytes, int maxRequestsInFlight,
                             int maxConnections, Duration idleTimeout, Durability ackLevel, Duration retryAfter,
                             int ioThreads, SslContext ssl) {
}
