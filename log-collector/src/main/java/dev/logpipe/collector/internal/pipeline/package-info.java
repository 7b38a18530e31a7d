/**
 * The inside of {@code LogPipeline}: the counters behind its stats, the sink listener that counts
 * written and durable records, and the embedded ingress that emitters send through. Not API.
 */
package dev.logpipe.collector.internal.pipeline;
