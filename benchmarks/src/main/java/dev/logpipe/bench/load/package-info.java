/**
 * The TCP load generator of the end-to-end ingest benchmark ({@code bench/ingest.sh}): it sends
 * pre-generated JSON or syslog lines over loopback connections to logpipe or a peer server and
 * measures until the server reports them all stored; with {@code --protocol relp|fluent} it speaks
 * RELP or Fluent Forward instead and measures until every message is acknowledged. {@link dev.logpipe.bench.load.IngestLoad} is
 * the program; the other types are its parts.
 */
package dev.logpipe.bench.load;
