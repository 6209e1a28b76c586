package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;

/** --version and the shell completion scripts. */
class VersionAndCompletionTest {
  private static final Path BASH = Path.of("/bin/bash");

  @TempDir Path dir;

  @Test
  void versionPrintsTheProjectVersionFromTheBuildAndTheJavaVersion() {
    Cli.Result r = Cli.run("--version");
    r.expect(ExitCodes.OK);
    List<String> lines = r.out().lines().toList();
    // version.properties is filtered by Maven: a version, never the unfiltered placeholder
    assertThat(lines.get(0)).matches("taskflow4j \\d+\\.\\d+\\.\\d+(-[A-Za-z0-9.]+)?");
    assertThat(lines.get(1)).isEqualTo("Java " + System.getProperty("java.version"));
    assertThat(r.err()).isEmpty();
    // every subcommand answers --version the same way
    assertThat(Cli.run("logbooks", "list", "--version").out()).isEqualTo(r.out());
  }

  @Test
  void theBashScriptNamesEveryCommandAndSubcommand() {
    Cli.Result r = Cli.run("completion", "bash");
    r.expect(ExitCodes.OK);
    String script = r.out();
    assertThat(script).startsWith("#!/usr/bin/env bash").contains("complete -F");
    assertThat(commandsLine(script, Main.class)).contains(" completion ");
    commandsLine(script, LogbooksCommand.class);
    commandsLine(script, JobsCommand.class);
    // options of a subcommand complete too
    assertThat(script).contains("--json").contains("--connection");
  }

  @Test
  void theZshScriptLoadsBashCompletionFirst() {
    Cli.Result r = Cli.run("completion", "zsh");
    r.expect(ExitCodes.OK);
    assertThat(r.out()).startsWith(CompletionCommand.ZSH_PREAMBLE);
    int init = r.out().indexOf("bashcompinit && bashcompinit");
    int function = r.out().indexOf("function _complete_taskflow4j");
    assertThat(init).isNotNegative().isLessThan(function);
    assertThat(r.out().substring(CompletionCommand.ZSH_PREAMBLE.length()))
        .isEqualTo(Cli.run("completion", "bash").out());
  }

  @Test
  void anUnknownShellIsAUsageError() {
    Cli.Result r = Cli.run("completion", "fish");
    r.expect(ExitCodes.USAGE);
    assertThat(r.errLines())
        .containsExactly(
            "taskflow4j: error: no completion for the shell 'fish'; the shells: bash, zsh");
    assertThat(r.out()).isEmpty();
  }

  /** The script at work: bash, given "taskflow4j lo", offers "logbooks". */
  @Test
  void bashCompletesACommandFromItsFirstLetters() throws Exception {
    if (!Files.isExecutable(BASH) && "true".equals(System.getenv("CI"))) {
      throw new AssertionError(
          BASH + " is needed to run the script; CI=true, so this is a failure");
    }
    // Outside CI a machine may lack bash: skip, saying so; CI fails above instead.
    Assumptions.assumeTrue(Files.isExecutable(BASH), BASH + " is needed to run the script");
    Path script = dir.resolve("taskflow4j.bash");
    Files.writeString(script, Cli.run("completion", "bash").out());
    String probe =
        "source '"
            + script
            + "'\n"
            + "COMP_WORDS=(taskflow4j lo); COMP_CWORD=1; COMP_LINE='taskflow4j lo';"
            + " COMP_POINT=${#COMP_LINE}\n"
            + "_complete_taskflow4j taskflow4j lo taskflow4j\n"
            + "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
            + "COMP_WORDS=(taskflow4j logbooks de); COMP_CWORD=2;"
            + " COMP_LINE='taskflow4j logbooks de'; COMP_POINT=${#COMP_LINE}\n"
            + "_complete_taskflow4j taskflow4j de logbooks\n"
            + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Cli.Result r = Cli.runProcess(dir, List.of(BASH.toString(), "-c", probe), Map.of());
    r.expect(0);
    assertThat(r.out().lines().map(String::strip).toList())
        .containsExactly("logbooks", "delete", "delete-flow");
  }

  /**
   * Asserts that the script has the {@code local commands="..."} line listing the subcommands
   * {@code command} declares, in order; returns that line.
   */
  private static String commandsLine(String script, Class<?> command) {
    List<String> names = new ArrayList<>();
    for (Class<?> sub : command.getAnnotation(Command.class).subcommands()) {
      names.add(sub.getAnnotation(Command.class).name());
    }
    assertThat(names).isNotEmpty();
    String expected = "local commands=\"" + String.join(" ", names) + "\"";
    assertThat(script).as("the script lists %s", names).contains(expected);
    return expected;
  }
}
