package dev.logpipe.filesink.internal.codec;

import dev.logpipe.filesink.LogRecord;

/** Test access to the golden record from other packages. */
public final class RecordCodecGoldenTestAccess {

    private RecordCodecGoldenTestAccess() {
    }

    public static LogRecord goldenRecord() {
        return RecordCodecGoldenTest.goldenRecord();
    }
}
