/**
 * Reading segment files byte by byte, past damage: what {@code verify}, {@code repair} and a reader
 * that met damage use where Chronicle's tailer would stop at the first bad excerpt. Not API.
 */
package dev.logpipe.filesink.internal.scan;
