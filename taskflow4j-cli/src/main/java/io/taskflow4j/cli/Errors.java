package io.taskflow4j.cli;

import io.taskflow4j.engine.FlowFactoryException;
import io.taskflow4j.persistence.BackendNotFoundException;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.StoreAccessDeniedException;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.UpgradeRequiredException;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Turns an exception into the one line the command prints and its exit code. */
final class Errors {
  private Errors() {}

  /** What to print and the exit code. */
  record Report(int exitCode, String message, boolean unexpected) {}

  static Report describe(Throwable e) {
    String msg = Main.oneLine(e.getMessage());
    if (e instanceof CliException c) {
      return new Report(c.exitCode(), msg, false);
    }
    if (e instanceof BackendNotFoundException) {
      return new Report(
          ExitCodes.USAGE, msg + "; check the scheme of the connection string", false);
    }
    if (e instanceof InvalidConfigurationException) {
      return new Report(ExitCodes.USAGE, msg + "; fix the connection string", false);
    }
    if (e instanceof IncompatibleVersionException) {
      return new Report(
          ExitCodes.INCOMPATIBLE, msg + "; use a taskflow4j at least as new as the store", false);
    }
    if (e instanceof UpgradeRequiredException) {
      return new Report(
          ExitCodes.UPGRADE_REQUIRED,
          msg + "; run '" + Main.commandName() + " upgrade --connection ...'",
          false);
    }
    if (e instanceof CorruptRecordException) {
      return new Report(ExitCodes.DAMAGED, msg, false);
    }
    if (e instanceof StoreAccessDeniedException) {
      // says what refused whom and what to do; no guess from its words
      return new Report(ExitCodes.STORE, msg, false);
    }
    if (e instanceof FencedException) {
      // a peer took the job over: said as it is, not as a store that cannot be reached
      return new Report(ExitCodes.CONFLICT, msg, false);
    }
    if (e instanceof StorageException) {
      String cause = rootCause(e);
      if (cause != null && !msg.contains(cause)) {
        msg = msg + " (" + cause + ")";
      }
      return new Report(ExitCodes.STORE, storeHint(msg), false);
    }
    if (e instanceof NotFoundException) {
      return new Report(ExitCodes.NOT_FOUND, msg, false);
    }
    if (e instanceof ConflictException || e instanceof DuplicateException) {
      return new Report(
          ExitCodes.CONFLICT, msg + "; another process may be writing the same logbook", false);
    }
    if (e instanceof FlowFactoryException) {
      return new Report(ExitCodes.FAILURE, msg, false);
    }
    if (e instanceof TaskFlowException) {
      return new Report(ExitCodes.FAILURE, msg, false);
    }
    if (e instanceof UncheckedIOException || e instanceof IOException) {
      Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
      return new Report(
          ExitCodes.FAILURE,
          "input/output error: " + Main.oneLine(String.valueOf(io.getMessage())),
          false);
    }
    return new Report(
        ExitCodes.FAILURE,
        "unexpected error: " + e.getClass().getSimpleName() + (msg.isEmpty() ? "" : ": " + msg),
        true);
  }

  /** The message of the deepest cause (a driver's own words), or null. */
  private static String rootCause(Throwable e) {
    String found = null;
    java.util.Set<Throwable> seen =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Throwable t = e.getCause(); t != null && seen.add(t); ) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        found = Main.oneLine(t.getMessage());
      }
      Throwable next =
          t instanceof java.sql.SQLException s && s.getNextException() != null
              ? s.getNextException()
              : t.getCause();
      t = next;
    }
    return found;
  }

  /** A backend's advice to a library user to create its store, in its messages' words. */
  private static final java.util.regex.Pattern LIBRARY_UPGRADE_ADVICE =
      java.util.regex.Pattern.compile(
          ";\\s*call upgrade\\(\\)(?: first)? \\(Backends\\.open does\\)(?: to create it)?"
              + "|;\\s*call upgrade\\(\\)(?: first)?(?: to create it)?");

  /**
   * Adds how to create a store with this command to a backend's "there is no store" message. What
   * to do about a server that is down, a wrong password or a full disk is the backend's to say: it
   * knows the driver's error codes, while the words of a message may hold a masked password or come
   * in another language.
   */
  private static String storeHint(String msg) {
    String lower = msg.toLowerCase(java.util.Locale.ROOT);
    if (LIBRARY_UPGRADE_ADVICE.matcher(msg).find()
        || lower.contains("no such table")
        || lower.contains("doesn't exist")
        || (lower.contains("does not exist")
            && (lower.contains("upgrade") || lower.contains("relation")))) {
      // The library's advice ("call upgrade() (Backends.open does)") is a Java call: this command's
      // own takes its place.
      return LIBRARY_UPGRADE_ADVICE.matcher(msg).replaceAll("")
          + "; if this is a new store, create it with '"
          + Main.commandName()
          + " upgrade --connection ...'";
    }
    return msg;
  }
}
