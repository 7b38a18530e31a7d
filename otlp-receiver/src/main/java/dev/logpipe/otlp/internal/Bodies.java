package dev.logpipe.otlp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
     * {@code maxBytes}.
     *
     * @throws BadRequestException if it is not gzip or is cut short
     * @throws TooLargeException   if it inflates past {@code maxBytes}
     */
    static byte[] gunzip(ByteBuf body, long maxBytes) throws BadRequestException, TooLargeException {
        try (InputStream in = new GZIPInputStream(new ByteBufInputStream(body.duplicate()), 8192)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, Math.min(body.readableBytes() * 4, 1 << 20)));
            byte[] buf = new byte[8192];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new TooLargeException("the gzip body inflates past " + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (ZipException e) {
            throw new BadRequestException("Content-Encoding is gzip but the body is not gzip: " + e.getMessage());
        } catch (java.io.EOFException e) {
            throw new BadRequestException("the gzip body is cut short");
        } catch (IOException e) {
            throw new BadRequestException("the gzip body could not be inflated: " + e.getMessage());
        }
    }
}
