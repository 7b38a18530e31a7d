/**
 * The {@code logpipe} configuration: the YAML config file, {@code ${VAR}} interpolation, the units
 * users type (durations, sizes, sync policies, retention) and the resolved settings of
 * {@code logpipe serve}.
 *
 * <p>Not API: used by the command line in {@code dev.logpipe.server}; may change at any time.
 */
package dev.logpipe.server.internal.config;
