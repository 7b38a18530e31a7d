package dev.logpipe.filesink;

/**
 * Child process of {@link DamageMatrixTest}: reads the journal in {@code args[0]} from the start and
 * prints the records' numbers on one line, then "notes N". Run under a small heap, it shows what a
 * reader allocates for a damaged record (a reader's heap, as `logpipe tail`'s 128 MiB, is small).
 */
public final class ReadAllMain {

    private ReadAllMain() {
    }

    public static void main(String[] args) {
        java.util.List<String> notes = new java.util.ArrayList<>();
        java.util.List<Long> got = DamageMatrixTest.readAll(JournalReader.builder(java.nio.file.Path.of(args[0])).fromStart(), notes);
        System.out.println(got);
        System.out.println("notes " + notes.size());
    }
}
