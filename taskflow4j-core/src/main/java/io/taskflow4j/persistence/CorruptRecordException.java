package io.taskflow4j.persistence;

import java.util.Objects;
import java.util.Optional;

/**
 * A stored logbook, flow detail or atom detail cannot be read: its bytes are not valid JSON (a torn
 * write of another program, a disk error, a hand edit), or it holds what no record can (an unknown
 * state or atom type, a failure of another version). It says which record, where it is and why, in
 * one line, and what to do: restore the record from a backup, or delete its logbook — {@link
 * Connection#destroyLogBook} never reads the records it deletes, so it works on a damaged book.
 *
 * <p>Only the reads that need the record fail; {@link Connection#forEachLogBook} reports damaged
 * records to its caller and goes on with the other books.
 */
public class CorruptRecordException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** The kinds of records. */
  public enum Kind {
    /** A logbook's own record (without its flow details). */
    LOGBOOK("logbook"),
    /** A flow detail's own record (without its atom details). */
    FLOW_DETAIL("flow detail"),
    /** An atom detail (a task or retry detail). */
    ATOM_DETAIL("atom detail");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** The kind in words, as messages say it ("flow detail"). */
    public String label() {
      return label;
    }
  }

  private final Kind kind;
  private final String uuid;
  private final String bookUuid;
  private final String location;
  private final String reason;

  /**
   * Creates the exception.
   *
   * @param kind what kind of record is damaged
   * @param uuid the record's uuid, or {@code null} when it cannot be told
   * @param bookUuid the uuid of the logbook that holds the record (the record's own for a logbook),
   *     or {@code null} when it is not known
   * @param location where the record is stored: a file, a table row, a znode
   * @param reason why it cannot be read (the parse error); only its first line is kept
   * @param cause the parse error, or {@code null}
   */
  public CorruptRecordException(
      Kind kind, String uuid, String bookUuid, String location, String reason, Throwable cause) {
    super(message(kind, uuid, bookUuid, location, firstLine(reason)), cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.uuid = uuid;
    this.bookUuid = kind == Kind.LOGBOOK && bookUuid == null ? uuid : bookUuid;
    this.location = Objects.requireNonNull(location, "location");
    this.reason = firstLine(reason);
  }

  /** What kind of record is damaged. */
  public Kind kind() {
    return kind;
  }

  /** The damaged record's uuid, when it can be told (from a file name, a key, a column). */
  public Optional<String> uuid() {
    return Optional.ofNullable(uuid);
  }

  /** The uuid of the logbook holding the damaged record, when known: the one to delete. */
  public Optional<String> bookUuid() {
    return Optional.ofNullable(bookUuid);
  }

  /** Where the record is stored: a file path, a table and row, a znode path. */
  public String location() {
    return location;
  }

  /** Why it cannot be read, in one line. */
  public String reason() {
    return reason;
  }

  /**
   * This exception naming {@code book} as the logbook that holds the record: for a reader that
   * reached the record through its book when the record itself could not say. Returns this
   * exception when it names a book already.
   */
  public CorruptRecordException inBook(String book) {
    if (bookUuid != null || book == null) {
      return this;
    }
    CorruptRecordException e =
        new CorruptRecordException(kind, uuid, book, location, reason, getCause());
    e.setStackTrace(getStackTrace());
    return e;
  }

  private static String message(
      Kind kind, String uuid, String bookUuid, String location, String reason) {
    Objects.requireNonNull(kind, "kind");
    String book = kind == Kind.LOGBOOK && bookUuid == null ? uuid : bookUuid;
    StringBuilder sb = new StringBuilder("damaged ").append(kind.label());
    if (uuid != null) {
      sb.append(" '").append(uuid).append('\'');
    }
    if (book != null && kind != Kind.LOGBOOK) {
      sb.append(" of logbook '").append(book).append('\'');
    }
    sb.append(" (").append(location).append("): ").append(reason);
    sb.append("; restore it from a backup, or delete ");
    sb.append(book == null ? "the logbook that holds it" : "logbook '" + book + "'");
    sb.append(" (deleting a logbook does not read its records)");
    return sb.toString();
  }

  private static String firstLine(String s) {
    if (s == null || s.isBlank()) {
      return "unreadable";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    int cr = t.indexOf('\r');
    int end = nl < 0 ? cr : cr < 0 ? nl : Math.min(nl, cr);
    return end > 0 ? t.substring(0, end).strip() : t;
  }
}
