/**
 * Implementation of the channels: lock-free queues, waiter bookkeeping and the parking protocol.
 * Not API: nothing here is meant to be used outside the {@code channels} module and it may change
 * without notice.
 */
package dev.logpipe.channels.internal;
