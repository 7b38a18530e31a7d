package dev.logpipe.server;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * A minimal RELP client (librelp's {@code doc/relp.md}) for {@code logpipe send --protocol relp}:
 * opens a session, sends syslog messages with at most {@code window} unanswered, checks that every
 * answer is {@code 200} in TXNR order, and closes the session. Nothing is retried: the caller learns
 * how many messages were acknowledged and whether any was not.
 *
 * <p>Threading: confined to the thread that uses it; blocking.
 */
final class RelpClient implements AutoCloseable {

    /** The server refused, answered out of order, or closed before answering everything. */
    static final class RelpException extends IOException {
        RelpException(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final int window;
    private final ArrayDeque<Long> unanswered = new ArrayDeque<>();
    private long nextTxnr = 1;
    private long acked;

    private RelpClient(Socket socket, int window) throws IOException {
        this.socket = socket;
        this.window = window;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    }

    /**
     * Opens a RELP session on a connected socket; {@code timeout} bounds each wait for an answer.
     *
     * @throws RelpException if the server does not accept the session
     */
    static RelpClient open(Socket socket, int window, Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        socket.setTcpNoDelay(true); // frames are buffered here and flushed in bulk
        RelpClient c = new RelpClient(socket, window);
        String offers = "relp_version=0\nrelp_software=logpipe-send\ncommands=syslog";
        long txnr = c.write("open", offers.getBytes(StandardCharsets.US_ASCII));
        c.out.flush();
        String answer = c.readAnswer(txnr);
        if (!answer.startsWith("200")) {
            throw new RelpException("the server refused the RELP session: " + firstLine(answer));
        }
        if (!answer.contains("commands=syslog")) {
            throw new RelpException("the server does not offer the syslog command");
        }
        return c;
    }

    /** Sends one syslog message; blocks while {@code window} messages are unanswered. */
    void send(byte[] syslogMessage) throws IOException {
        if (unanswered.size() >= window) {
            out.flush();
            takeAnswer();
            // and every answer already here, so that the next flush carries many frames, not one
            while (!unanswered.isEmpty() && in.available() > 0) {
                takeAnswer();
            }
        }
        unanswered.addLast(write("syslog", syslogMessage));
    }

    /** Waits for every answer, then closes the session; returns the number of messages acknowledged. */
    long finish() throws IOException {
        out.flush();
        while (!unanswered.isEmpty()) {
            takeAnswer();
        }
        long txnr = write("close", new byte[0]);
        out.flush();
        readAnswer(txnr);
        return acked;
    }

    /** Messages acknowledged so far. */
    long acked() {
        return acked;
    }

    private void takeAnswer() throws IOException {
        long expected = unanswered.peekFirst();
        String answer = readAnswer(expected);
        if (!answer.startsWith("200")) {
            throw new RelpException("the server did not store message " + expected + ": " + firstLine(answer));
        }
        unanswered.pollFirst();
        acked++;
    }

    private long write(String command, byte[] data) throws IOException {
        long txnr = nextTxnr++;
        String head = txnr + " " + command + " " + data.length + (data.length == 0 ? "" : " ");
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        out.write('\n');
        return txnr;
    }

    /** Reads the next frame, which must be the rsp to {@code txnr}; returns its data. */
    private String readAnswer(long txnr) throws IOException {
        try {
            long got = readNumber();
            if (lastTerminator != ' ') {
                throw new RelpException("the server sent a broken frame header");
            }
            String command = readWord();
            long len = readNumber();
            byte[] data = new byte[0];
            if (lastTerminator == ' ') {
                data = in.readNBytes((int) len);
                if (data.length < len || in.read() != '\n') {
                    throw new RelpException("the server sent a broken frame");
                }
            } else if (len != 0) {
                throw new RelpException("the server sent a broken frame header");
            }
            if (got == 0 && command.equals("serverclose")) {
                throw new RelpException("the server closed the session (serverclose) before answering message " + txnr);
            }
            if (!command.equals("rsp") || got != txnr) {
                throw new RelpException("expected the answer to " + txnr + ", got " + got + " " + command);
            }
            return new String(data, StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            throw new RelpException("no answer to message " + txnr + " in time");
        } catch (EOFException e) {
            throw new RelpException("the server closed the connection before answering message " + txnr);
        }
    }

    /** What ended the last number: SP or LF. */
    private int lastTerminator;

    private long readNumber() throws IOException {
        long n = 0;
        int digits = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException();
            }
            if (c >= '0' && c <= '9' && digits < 9) {
                n = n * 10 + (c - '0');
                digits++;
            } else if (digits > 0 && (c == ' ' || c == '\n')) {
                lastTerminator = c;
                return n;
            } else {
                throw new RelpException("the server sent a broken frame header");
            }
        }
    }

    private String readWord() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException();
            }
            if (c == ' ') {
                return sb.toString();
            }
            if (sb.length() > 32 || !Character.isLetter(c)) {
                throw new RelpException("the server sent a broken frame header");
            }
            sb.append((char) c);
        }
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
