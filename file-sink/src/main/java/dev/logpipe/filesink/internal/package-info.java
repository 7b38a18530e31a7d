/**
 * How the journal works: {@code codec} (record layout), {@code queue} (Chronicle Queue setup),
 * {@code writer} (the single writer thread and syncs), {@code reader} (tailers and time search),
 * {@code retention} (deleting old segments) and {@code verify}. Not API.
 */
package dev.logpipe.filesink.internal;
