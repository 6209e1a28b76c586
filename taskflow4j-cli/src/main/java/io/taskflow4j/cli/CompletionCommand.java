package io.taskflow4j.cli;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code taskflow4j completion bash|zsh}: prints a shell completion script. */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = {
      "Print a completion script for bash or zsh: the commands, subcommands, options and their"
          + " values complete with TAB.",
      "bash: source <(taskflow4j completion bash), or save it in"
          + " ~/.local/share/bash-completion/completions/taskflow4j.",
      "zsh: source <(taskflow4j completion zsh) in ~/.zshrc (it loads zsh's bash completion"
          + " support first)."
    })
final class CompletionCommand implements Callable<Integer> {
  /**
   * What zsh needs before it can run a bash completion script: its completion system (started only
   * once, as restarting it would drop the completions already registered) and its bash completion
   * support.
   */
  static final String ZSH_PREAMBLE =
      "# zsh runs the bash completion script below through its bash completion support\n"
          + "if ! type compdef >/dev/null 2>&1; then\n"
          + "  autoload -U +X compinit && compinit\n"
          + "fi\n"
          + "autoload -U +X bashcompinit && bashcompinit\n";

  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "SHELL",
      description = "The shell: ${COMPLETION-CANDIDATES}.",
      completionCandidates = Shells.class)
  String shell;

  /** The shells a script is made for (and the completion of this command's argument). */
  static final class Shells implements Iterable<String> {
    static final List<String> NAMES = List.of("bash", "zsh");

    @Override
    public Iterator<String> iterator() {
      return NAMES.iterator();
    }
  }

  @Override
  public Integer call() {
    if (!Shells.NAMES.contains(shell)) {
      throw new CliException(
          ExitCodes.USAGE, "no completion for the shell '" + shell + "'; the shells: bash, zsh");
    }
    String script = AutoComplete.bash("taskflow4j", spec.root().commandLine());
    Main main = Main.of(spec);
    main.printData(shell.equals("zsh") ? ZSH_PREAMBLE + script : script);
    return ExitCodes.OK;
  }
}
