/**
 * Chronicle Queue setup for the journal: roll cycles, journal metadata, segment files. Not API.
 */
package dev.logpipe.filesink.internal.queue;
