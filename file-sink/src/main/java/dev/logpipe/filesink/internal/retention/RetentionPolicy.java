package dev.logpipe.filesink.internal.retention;

import java.time.Duration;

/**
 * What retention keeps: segments younger than {@code maxAge} and at most {@code maxBytes} in total,
 * both yielding to named readers; {@code hardMaxBytes} overrides the readers.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param maxAge delete a closed segment once its cycle ended longer ago than this; null = no age limit
 * @param maxBytes delete the oldest closed segments while the journal is larger; 0 = no limit
 * @param hardMaxBytes like maxBytes, but also deletes segments a named reader has not finished; 0 = no limit
 */
public record RetentionPolicy(Duration maxAge, long maxBytes, long hardMaxBytes) {

    /** True when this policy never deletes anything. */
    public boolean keepsEverything() {
        return maxAge == null && maxBytes <= 0 && hardMaxBytes <= 0;
    }
}
