/**
 * Retention: deleting old closed segments by age and size, respecting named readers. Not API.
 */
package dev.logpipe.filesink.internal.retention;
