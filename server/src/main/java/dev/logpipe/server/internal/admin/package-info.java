/**
 * The admin HTTP server of {@code logpipe serve} ({@code /metrics} in Prometheus text format,
 * {@code /health}, {@code /ready}, {@code /stats} as JSON) and the Prometheus metrics behind it.
 *
 * <p>Not API: used by the command line; may change at any time.
 */
package dev.logpipe.server.internal.admin;
