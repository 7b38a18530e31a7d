/**
 * The journal writer: its thread loop, the sync coordinator on the blocking pool, the durable
 * watermark and its waiters, the directory lock. Not API.
 */
package dev.logpipe.filesink.internal.writer;
