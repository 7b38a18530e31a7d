/**
 * The journal's on-disk record layout: encoding a {@code LogRecord} into Chronicle bytes and back.
 * Not API: the layout is documented in {@code file-sink/FORMAT.md}, the classes here may change.
 */
package dev.logpipe.filesink.internal.codec;
