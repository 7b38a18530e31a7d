/**
 * The {@code logpipe} command line: {@code serve}, {@code tail}, {@code send}, {@code stats},
 * {@code verify} and {@code validate}, built with picocli. {@link dev.logpipe.server.Main}
 * is the entry point of the runnable jar and of the {@code ./logpipe} launcher.
 *
 * <p>Not a library API: the commands' flags and output are the interface, not these classes.
 */
package dev.logpipe.server;
