/**
 * The log collector's public API: the pipeline that joins TCP ingest and in-process emitters to the
 * journal, and the settings of its TCP listener (wire format, frame limits, bad-input policies).
 * Everything under {@code dev.logpipe.collector.internal} is not API.
 */
package dev.logpipe.collector;
