package dev.logpipe.otlp.internal;

import dev.logpipe.collector.Durability;
import io.netty.handler.ssl.SslContext;

import java.time.Duration;

/**
 * The settings an {@link OtlpHttpServer} runs with, resolved by {@code OtlpReceiver.Builder}.
 *
 * <p>Threading: immutable.
 *
 * @param maxBytesInFlight the body bytes (inflated) the requests in flight may hold together; one
 *     request alone may hold more, up to {@code maxBodyBytes}
 * @param maxRecordsPerRequest the most log records one request may hold; more is answered 413
 * @param ssl null without TLS
 */
public record ServerSettings(String bindAddress, int port, long maxBodyBytes, int maxRequestsInFlight,
                             long maxBytesInFlight, int maxConnections, Duration idleTimeout, Durability ackLevel,
                             Duration retryAfter, int ioThreads, int maxRecordsPerRequest, SslContext ssl) {
}
