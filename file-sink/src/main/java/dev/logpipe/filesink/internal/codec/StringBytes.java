package dev.logpipe.filesink.internal.codec;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * Reads a {@link String}'s own byte array when the string is stored one byte per character
 * (Latin-1, JDK 9+ compact strings), so that the codec can copy it with one {@code arraycopy}
 * instead of one {@code charAt} per character. The codec then checks the bytes for ASCII with the
 * JDK's own check ({@code StringCoding.hasNegatives}, a vectorized intrinsic); anything else takes
 * the ordinary UTF-8 path.
 *
 * <p>It needs {@code java.base/java.lang} open to this code, which every logpipe launch gives
 * ({@code --add-opens}, also required by Chronicle Queue). Without it, or on a JVM without compact
 * strings, {@link #latin1(String)} always answers {@code null} and the codec falls back to its
 * per-character loop: slower, same bytes.
 *
 * <p>Threading: stateless, thread-safe. The returned array belongs to the string: never write to it.
 */
final class StringBytes {

    /** {@code String.value}, or null when not accessible. */
    private static final VarHandle VALUE = lookupValue();
    /** {@code java.lang.StringCoding.hasNegatives(byte[], int, int)}, or null when not accessible. */
    private static final MethodHandle HAS_NEGATIVES = lookupHasNegatives();

    private StringBytes() {
    }

    /** True when {@link #latin1} can answer; false means every call answers null. */
    static boolean available() {
        return VALUE != null;
    }

    /**
     * {@code s}'s internal bytes if it is stored one byte per character (then
     * {@code result.length == s.length()} and {@code result[i] == (byte) s.charAt(i)}), else null.
     */
    static byte[] latin1(String s) {
        if (VALUE == null) {
            return null;
        }
        byte[] v = (byte[]) VALUE.get(s);
        // UTF-16 storage uses two bytes per char, so equal lengths mean Latin-1 storage
        // (an empty string is both, and its empty array is right either way)
        return v.length == s.length() ? v : null;
    }

    /**
     * True if any byte of {@code b[0, len)} has its high bit set, by the JDK's intrinsic; null when
     * that is not accessible (then the caller checks itself).
     */
    static Boolean hasNegatives(byte[] b, int len) {
        if (HAS_NEGATIVES == null) {
            return null;
        }
        try {
            return (boolean) HAS_NEGATIVES.invokeExact(b, 0, len);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MethodHandle lookupHasNegatives() {
        try {
            Class<?> coding = Class.forName("java.lang.StringCoding");
            MethodHandle h = MethodHandles.privateLookupIn(coding, MethodHandles.lookup()).findStatic(coding,
                    "hasNegatives", MethodType.methodType(boolean.class, byte[].class, int.class, int.class));
            byte[] probe = {'a', 'b', (byte) 0xE9};
            boolean works = !(boolean) h.invokeExact(probe, 0, 2) && (boolean) h.invokeExact(probe, 0, 3);
            return works ? h : null;
        } catch (Throwable e) {
            // not opened, or a JDK without this method: the codec's own loop answers instead
            return null;
        }
    }

    private static VarHandle lookupValue() {
        try {
            VarHandle h = MethodHandles.privateLookupIn(String.class, MethodHandles.lookup())
                    .findVarHandle(String.class, "value", byte[].class);
            // compact strings off (-XX:-CompactStrings): "A" would be stored in 2 bytes; don't use the fast path
            byte[] probe = (byte[]) h.get("A");
            return probe.length == 1 && probe[0] == 'A' ? h : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not opened (InaccessibleObjectException / IllegalAccessException), or no such field
            return null;
        }
    }
}
