/**
 * The OTLP/HTTP logs receiver: {@link dev.logpipe.otlp.OtlpReceiver} takes {@code POST /v1/logs} from
 * OpenTelemetry SDKs, the Collector's {@code otlphttp} exporter, Vector and Fluent Bit, and answers
 * once the records are durable. Plug it into a pipeline with
 * {@link dev.logpipe.collector.LogPipeline.Builder#receiver}. Everything under
 * {@code dev.logpipe.otlp.internal} is not API.
 */
package dev.logpipe.otlp;
