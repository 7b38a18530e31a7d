package dev.logpipe.it.support;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.function.BooleanSupplier;

/**
 * A TCP client that sends records {@code 0, 1, 2, ...} of one producer in one wire format over one
 * connection, and counts how many it has written and flushed to the socket.
 *
 * <p>It sends up to {@code maxRecords}, or until {@code stop} says so, or until the connection
 * fails (then {@link #failure()} holds the exception). A flush every {@code flushEvery} records
 * bounds how far {@link #flushed()} lags behind what was handed to the socket.
 *
 * <p>Threading: {@link #run()} on one thread; the getters from any thread.
 */
public final class TcpProducer implements Runnable {

    private final String id;
    private final WireFrames.Format format;
    private final int port;
    private final long maxRecords;
    private final BooleanSupplier stop;
    private final int flushEvery;
    private volatile long flushed;
    private volatile Throwable failure;
    private volatile boolean done;

    public TcpProducer(String id, WireFrames.Format format, int port, long maxRecords, BooleanSupplier stop, int flushEvery) {
        this.id = id;
        this.format = format;
        this.port = port;
        this.maxRecords = maxRecords;
        this.stop = stop;
        this.flushEvery = flushEvery;
    }

    /** The producer id stamped into every record's marker. */
    public String id() {
        return id;
    }

    /** The wire format. */
    public WireFrames.Format format() {
        return format;
    }

    /** Records written and flushed to the socket so far: {@code 0 .. flushed-1}. */
    public long flushed() {
        return flushed;
    }

    /** The exception that ended sending, or null. */
    public Throwable failure() {
        return failure;
    }

    /** Whether {@link #run()} has returned. */
    public boolean done() {
        return done;
    }

    @Override
    public void run() {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            long seq = 0;
            while (seq < maxRecords && !stop.getAsBoolean()) {
                out.write(WireFrames.frame(format, id, seq));
                seq++;
                if (seq % flushEvery == 0) {
                    out.flush();
                    flushed = seq;
                }
            }
            out.flush();
            flushed = seq;
            s.shutdownOutput(); // a clean end of stream: the server reads everything before it sees EOF
            // wait for the server to close its side, so that every byte was read before we go
            s.setSoTimeout(120_000);
            while (s.getInputStream().read() >= 0) {
                // the server sends nothing on an ingest connection; just wait for its close
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            done = true;
        }
    }

    @Override
    public String toString() {
        return "TcpProducer[" + id + " " + format + " flushed=" + flushed + (failure == null ? "" : " failed: " + failure) + "]";
    }
}
