package dev.logpipe.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogpipeCommandTest {

    @Test
    void noCommandShowsUsageOnStderrAndExits2() {
        CliRun r = CliRun.run();
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("Commands:"), r.toString());
        assertTrue(r.err().contains("logpipe: no command given; try 'logpipe serve' or 'logpipe --help'"), r.toString());
    }

    @Test
    void helpListsEveryCommandOnStdout() {
        CliRun r = CliRun.run("--help");
        assertEquals(0, r.code(), r.toString());
        for (String cmd : new String[] {"serve", "tail", "send", "stats", "verify", "validate"}) {
            assertTrue(r.out().contains("  " + cmd + " "), cmd + " missing in\n" + r.out());
        }
        assertTrue(r.out().contains("Exit status"), r.out());
    }

    @Test
    void versionNamesLogpipeAndJava() {
        for (String flag : new String[] {"-V", "--version"}) {
            CliRun r = CliRun.run(flag);
            assertEquals(0, r.code());
            assertTrue(r.out().startsWith("logpipe "), r.out());
            assertTrue(r.out().contains("Java "), r.out());
        }
    }

    @Test
    void unknownCommandIsAUsageErrorWithAHint() {
        CliRun r = CliRun.run("stat");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe: Unmatched argument at index 0: 'stat'"), r.toString());
        assertTrue(r.err().contains("Did you mean: logpipe stats"), r.toString());
        assertTrue(r.err().contains("Try 'logpipe --help' for more information."), r.toString());
        assertEquals("", r.out());
    }

    @Test
    void unknownOptionOfASubcommandNamesTheSubcommand() {
        CliRun r = CliRun.run("send", "--prot", "1");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe send: Unknown option: '--prot'"), r.toString());
        assertTrue(r.err().contains("Try 'logpipe send --help' for more information."), r.toString());
    }

    @Test
    void helpSubcommandShowsASubcommandsHelp() {
        CliRun r = CliRun.run("help", "send");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("--format=FORMAT"), r.out());
        assertTrue(r.out().contains("Default: json"), r.out());
    }
}
