/**
 * End-to-end tests of logpipe's promises (DESIGN.md "Promises"): the real server over real
 * sockets, in this JVM or as a child process, and the journal read back afterwards.
 */
package dev.logpipe.it;
