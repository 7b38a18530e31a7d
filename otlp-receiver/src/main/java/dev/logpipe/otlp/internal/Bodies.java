package dev.logpipe.otlp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Request bodies: gzip inflation bounded by the body limit (a small body that inflates past it is
 * refused as too large, not inflated to the end).
 *
 * <p>Threading: stateless, thread-safe.
 */
final class Bodies {

    /** The inflated body would exceed the limit. */
    static final class TooLargeException extends Exception {
        TooLargeException(String message) {
            super(message, null, false, false);
        }
    }

    private Bodies() {
    }

    /** The bytes of {@code body} (not released here). */
    static byte[] bytes(ByteBuf body) {
        byte[] out = new byte[body.readableBytes()];
        body.getBytes(body.readerIndex(), out);
        return out;
    }

    /**
     * Inflates a gzip body (one or more members, as {@link GZIPInputStream} reads them), up to
     * {@code maxBytes}, into a buffer sized by the gzip trailer's length when it is within the limit
     * (no growing copies for the usual single member).
     *
     * @return the inflated bytes, from position 0 to the limit (a heap buffer)
     * @throws BadRequestException if it is not gzip or is cut short
     * @throws TooLargeException   if it inflates past {@code maxBytes}
     */
    static ByteBuffer gunzip(ByteBuf body, long maxBytes) throws BadRequestException, TooLargeException {
        int n = body.readableBytes();
        // ISIZE, the last 4 bytes (little-endian): the last member's inflated length mod 2^32
        long trailer = n >= 18 ? body.getUnsignedIntLE(body.writerIndex() - 4) : 0;
        int initial = (int) (trailer > 0 && trailer <= maxBytes ? trailer : Math.min(maxBytes, Math.max(64, n * 4L)));
        try (InputStream in = new GZIPInputStream(new ByteBufInputStream(body.duplicate()), 8192)) {
            Inflated out = new Inflated(initial);
            byte[] buf = new byte[8192];
            long total = 0;
            int r;
            while ((r = in.read(buf)) > 0) {
                total += r;
                if (total > maxBytes) {
                    throw new TooLargeException("the gzip body inflates past " + maxBytes + " bytes");
                }
                out.write(buf, 0, r);
            }
            return out.buffer();
        } catch (ZipException e) {
            throw new BadRequestException("Content-Encoding is gzip but the body is not gzip: " + e.getMessage());
        } catch (java.io.EOFException e) {
            throw new BadRequestException("the gzip body is cut short");
        } catch (IOException e) {
            throw new BadRequestException("the gzip body could not be inflated: " + e.getMessage());
        }
    }

    /** A byte stream whose bytes are handed out without the copy of {@code toByteArray}. */
    private static final class Inflated extends ByteArrayOutputStream {
        Inflated(int initial) {
            super(initial);
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(buf, 0, count);
        }
    }
}
