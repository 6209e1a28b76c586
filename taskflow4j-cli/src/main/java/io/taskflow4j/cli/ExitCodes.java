package io.taskflow4j.cli;

/** The exit codes of the {@code taskflow4j} command. */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;

  /** A flow did not succeed, a verification found differences, or an unexpected error. */
  public static final int FAILURE = 1;

  /** Bad usage: unknown option or command, malformed connection string, unknown scheme. */
  public static final int USAGE = 2;

  /**
   * The store cannot be reached or used: server down, wrong password, a store that does not exist
   * (a mistyped SQLite path, a database missing on the server), a full disk, an I/O error.
   */
  public static final int STORE = 3;

  /** A logbook or flow that does not exist. */
  public static final int NOT_FOUND = 4;

  /** An input file that is missing, unreadable, corrupt or of an unknown format or version. */
  public static final int BAD_FILE = 5;

  /** A logbook already exists in the target store, or a concurrent writer changed it. */
  public static final int CONFLICT = 6;

  /** The store's schema is newer than this taskflow4j (upgrade taskflow4j). */
  public static final int INCOMPATIBLE = 7;

  /**
   * The store is readable but older than this taskflow4j writes (a store TaskFlow made, an earlier
   * taskflow4j schema, an upgrade stopped half-way): {@code upgrade} adopts it.
   */
  public static final int UPGRADE_REQUIRED = 8;

  /**
   * The store holds damaged records (a truncated file, a torn JSON cell): a command that reads the
   * whole store ({@code logbooks list}, {@code export}, {@code resume --all}) did its work on every
   * other book and named each damaged record; a command that needed a damaged record named it.
   * {@code logbooks delete} removes a damaged book.
   */
  public static final int DAMAGED = 9;

  /** {@code demo --crash-after N} stopped the process on purpose. */
  public static final int CRASHED = 42;

  private ExitCodes() {}

  /**
   * The name of an exit code, as the {@code type} of a JSON error ({@code --json}): {@code
   * "failure"}, {@code "usage"}, {@code "store"}, {@code "not_found"}, {@code "bad_file"}, {@code
   * "conflict"}, {@code "incompatible"}, {@code "upgrade_required"}, {@code "damaged"}, {@code
   * "crashed"}; {@code "ok"} for 0.
   */
  public static String name(int exitCode) {
    return switch (exitCode) {
      case OK -> "ok";
      case USAGE -> "usage";
      case STORE -> "store";
      case NOT_FOUND -> "not_found";
      case BAD_FILE -> "bad_file";
      case CONFLICT -> "conflict";
      case INCOMPATIBLE -> "incompatible";
      case UPGRADE_REQUIRED -> "upgrade_required";
      case DAMAGED -> "damaged";
      case CRASHED -> "crashed";
      default -> "failure";
    };
  }
}
