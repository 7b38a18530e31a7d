package dev.logpipe.filesink.internal.scan;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The link the writer puts into every segment it starts: a Chronicle metadata excerpt (readers skip
 * it) naming the cycle of the segment it wrote before, so {@code verify} can tell a segment deleted
 * from the middle of a journal from an hour in which nothing was written. Layout, little-endian:
 * 8 bytes {@code LPSEGLNK}, int32 previous cycle (-1 if none).
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class SegmentLink {

    /** The excerpt's length. */
    public static final int LENGTH = 12;

    private static final byte[] MAGIC = "LPSEGLNK".getBytes(StandardCharsets.US_ASCII);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private SegmentLink() {
    }

    /** The excerpt's bytes. */
    public static byte[] encode(int previousCycle) {
        byte[] b = new byte[LENGTH];
        System.arraycopy(MAGIC, 0, b, 0, MAGIC.length);
        INT_LE.set(b, 8, previousCycle);
        return b;
    }

    /** The previous cycle named by a link excerpt's bytes, or MIN_VALUE if {@code b} is not a link. */
    public static int previousCycle(byte[] b) {
        if (b.length != LENGTH) {
            return Integer.MIN_VALUE;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return Integer.MIN_VALUE;
            }
        }
        return (int) INT_LE.get(b, 8);
    }
}
