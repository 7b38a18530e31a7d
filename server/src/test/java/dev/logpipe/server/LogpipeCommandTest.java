package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    /** Every kind of picocli usage error, in the house style: one line, what happened; what to do; exit 2. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            stat                          | logpipe: unknown command 'stat'; did you mean 'stats' or 'tail' or 'validate'? the commands are serve, tail, send, forward, stats, verify, repair, validate, help (see 'logpipe --help')
            help nope                     | logpipe: unknown command 'nope'; the commands are serve, tail, send, forward, stats, verify, repair, validate, help
            send --prot 1                 | logpipe send: unknown option '--prot'; did you mean '--protocol'? see 'logpipe send --help'
            send --zzz 1                  | logpipe send: unknown option '--zzz'; see 'logpipe send --help'
            send a b                      | logpipe send: unexpected argument 'b'; see 'logpipe send --help'
            send --port 1 --port 2        | logpipe send: --port is given twice; give it once
            send --format xml             | logpipe send: --format: 'xml' is not valid; use one of json, syslog, text
            send --port=http              | logpipe send: --port: 'http' is not valid; use a whole number
            tail --last                   | logpipe tail: --last needs a value (N); write --last N
            validate                      | logpipe validate: --config FILE is required; see 'logpipe validate --help'
            tail --from-start --since 1m  | logpipe tail: --from-start and --since do not go together; give only one of --from-start, --since, --index, --last
            tail --index 1 --last 2       | logpipe tail: --index and --last do not go together; give only one of --from-start, --since, --index, --last
            tail -n 1 -n 2                | logpipe tail: --last is given twice; give it once
            tail --from-start --from-start | logpipe tail: --from-start is given twice; give it once
            """)
    void usageErrorsAreOneLineSayingWhatHappenedAndWhatToDo(String args, String expected) {
        CliRun r = CliRun.run(args.split(" "));
        assertEquals(2, r.code(), r.toString());
        assertEquals(expected + "\n", r.err());
        assertEquals("", r.out());
    }

    /** An example that wraps is copied without its end: every example line must fit in 80 columns as written. */
    @Test
    void everyHelpExampleAndDescriptionLineIsPrintedWhole() {
        CommandLine root = Logpipe.commandLine(new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(new java.io.StringWriter()));
        java.util.List<CommandLine> all = new java.util.ArrayList<>(root.getSubcommands().values());
        for (CommandLine c : root.getSubcommands().values()) {
            all.addAll(c.getSubcommands().values()); // forward kafka
        }
        all.add(root);
        for (CommandLine c : all) {
            c.setUsageHelpAutoWidth(false);
            c.setUsageHelpWidth(80);
            String help = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            java.util.List<String> lines = new java.util.ArrayList<>(java.util.Arrays.asList(c.getCommandSpec().usageMessage().footer()));
            lines.addAll(java.util.Arrays.asList(c.getCommandSpec().usageMessage().description()));
            for (String line : lines) {
                String shown = String.format(line.replace("%n", "")).replace("$${", "${");
                assertTrue(help.contains(shown), c.getCommandName() + ": the line\n" + shown + "\nis wrapped in\n" + help);
            }
        }
    }

    @Test
    void helpSubcommandShowsASubcommandsHelp() {
        CliRun r = CliRun.run("help", "send");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("--format=FORMAT"), r.out());
        assertTrue(r.out().contains("Default: json"), r.out());
    }
}
