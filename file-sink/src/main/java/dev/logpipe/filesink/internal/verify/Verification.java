package dev.logpipe.filesink.internal.verify;

import dev.logpipe.filesink.VerifyReport;
import dev.logpipe.filesink.VerifyReport.Damage;
import dev.logpipe.filesink.internal.codec.CorruptRecordException;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.JournalQueues.SegmentFile;
import dev.logpipe.filesink.internal.queue.SegmentSizes;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The walk behind {@code JournalVerifier}. Reports at most {@value #MAX_DAMAGE} damage entries.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class Verification {

    private static final int MAX_DAMAGE = 1000;

    private Verification() {
    }

    public static VerifyReport run(Path dir) {
        JournalMeta meta = JournalMeta.read(dir).orElseThrow(() -> new IllegalArgumentException(
                "no logpipe journal in " + dir + " (no " + JournalMeta.FILE_NAME + "); check the data directory"));
        List<Damage> damage = new ArrayList<>();
        if (meta.layoutVersion() != RecordCodec.VERSION) {
            damage.add(new Damage(-1, "record layout version " + meta.layoutVersion() + " is not readable by this logpipe"));
            return new VerifyReport(0, 0, 0, -1, -1, null, null, 0, damage);
        }
        List<SegmentFile> segs;
        try {
            segs = JournalQueues.listSegments(dir, meta.rollCycle());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        long bytes = 0;
        RecordCodec codec = new RecordCodec();
        long records = 0;
        long first = -1;
        long last = -1;
        long firstTime = Long.MIN_VALUE;
        long lastTime = Long.MIN_VALUE;
        long outOfOrder = 0;
        try (SingleChronicleQueue q = JournalQueues.openReadOnly(dir, meta.rollCycle());
             ExcerptTailer t = q.createTailer()) {
            for (SegmentFile s : segs) {
                bytes += SegmentSizes.usedBytes(q, s);
            }
            net.openhft.chronicle.queue.RollCycle rc = q.rollCycle();
            long prevIndex = -1;
            while (true) {
                long index;
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    if (dc.isMetaData()) {
                        continue;
                    }
                    index = dc.index();
                    Bytes<?> b = dc.wire().bytes();
                    try {
                        long recv = codec.read(b).receiveTimeNanos();
                        records++;
                        if (first < 0) {
                            first = index;
                            firstTime = recv;
                        }
                        if (lastTime != Long.MIN_VALUE && recv < lastTime) {
                            outOfOrder++;
                        }
                        last = index;
                        lastTime = recv;
                    } catch (CorruptRecordException e) {
                        add(damage, new Damage(index, e.getMessage()));
                    }
                } catch (RuntimeException e) {
                    add(damage, new Damage(-1, "unreadable excerpt after index " + prevIndex + ": " + e));
                    break;
                }
                if (prevIndex >= 0 && rc.toCycle(prevIndex) == rc.toCycle(index)
                        && rc.toSequenceNumber(index) != rc.toSequenceNumber(prevIndex) + 1) {
                    add(damage, new Damage(index, "index gap: previous record was " + prevIndex));
                }
                prevIndex = index;
            }
        } catch (RuntimeException e) {
            add(damage, new Damage(-1, "cannot open the queue: " + e));
        }
        return new VerifyReport(segs.size(), bytes, records, first, last, toInstant(firstTime), toInstant(lastTime),
                outOfOrder, damage);
    }

    private static void add(List<Damage> damage, Damage d) {
        if (damage.size() < MAX_DAMAGE) {
            damage.add(d);
        }
    }

    private static Instant toInstant(long nanos) {
        return nanos == Long.MIN_VALUE ? null
                : Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
