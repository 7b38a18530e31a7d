/**
 * Reading the journal: read-only cursors, start by index/time/end, named reader positions. Not API.
 */
package dev.logpipe.filesink.internal.reader;
