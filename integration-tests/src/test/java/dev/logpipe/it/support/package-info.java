/**
 * Test support for the end-to-end tests: child JVMs running the real {@code logpipe} command, TCP
 * producers that stamp each record with a producer id and sequence number, and a journal scan that
 * checks exactly-once and per-producer order. Not API; test code only.
 */
package dev.logpipe.it.support;
