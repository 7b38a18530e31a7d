/**
 * Journal verification: walking every record and reporting damage. Not API.
 */
package dev.logpipe.filesink.internal.verify;
