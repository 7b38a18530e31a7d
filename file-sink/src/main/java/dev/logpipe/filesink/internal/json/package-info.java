/**
 * Writing records as JSON text with Jackson's streaming generator, escaped the way logpipe always
 * has. Not API: {@code RecordJson} and {@code FieldValue} are the public entry points.
 */
package dev.logpipe.filesink.internal.json;
