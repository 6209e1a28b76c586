package io.taskflow4j.persistence.spi;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The rules every backend keeps when it writes logbooks, flow details and atom details, and the
 * exceptions, with their messages, that report a write breaking one. A backend reads what is stored
 * in whatever way suits its storage, hands the values it holds to these checks, and writes only if
 * they pass; the checks read nothing themselves, so they add no round trip.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li><b>Revision.</b> A write based on revision {@code given} (read from the store) succeeds
 *       only if the stored record still has that revision; {@code given = 0} writes whatever is
 *       stored. Otherwise: {@link ConflictException}. A written record's revision is the stored one
 *       plus one, or 1 for a new record ({@link #nextRevision}).
 *   <li><b>Ownership.</b> A flow detail belongs to one logbook and an atom detail to one flow
 *       detail: writing one under another parent is a {@link DuplicateException}, and so is a book
 *       whose flows carry one atom detail twice ({@link #atomOwners}).
 *   <li><b>Type.</b> An atom detail stored as a task detail cannot be replaced by a retry detail
 *       under the same uuid, nor the other way round: {@link DuplicateException}.
 *   <li><b>Creation time.</b> Saving an existing logbook keeps its stored creation time ({@link
 *       #savedBook}); a replacement writes the one given.
 *   <li>Everything is checked before anything is written: a refused write stores nothing.
 * </ul>
 *
 * <p>What a backend author must still do:
 *
 * <ul>
 *   <li>Read, in as few round trips as the storage allows, what is stored of every record a write
 *       touches (revision, owner, atom type), and describe each as a {@link Stored}. How ownership
 *       is recorded is the backend's: a parent column, a parent key, a link from the parent. When
 *       the store cannot name the other owner (only that the record is not linked from this
 *       parent), give {@code null}; when it cannot tell at all, give the parent being written.
 *   <li>Make the check and the write one atomic step: hold a lock or a transaction from the read to
 *       the write (rows selected for update, a store lock), or write conditionally on the revision
 *       read (a versioned update, {@code UPDATE ... WHERE revision = ?}) and, when the condition
 *       fails, read the stored revision and throw {@link #conflict}.
 *   <li>Call the check that fits the write: {@link #checkBook} and {@link #atomOwners} for a save,
 *       {@link #checkFlow} (or {@link #checkFlowRecord} and {@link #checkAtoms}) for an update of a
 *       flow detail, {@link #checkAtom} for an update of an atom detail. A replacement checks no
 *       revision, but must still refuse a flow or atom detail another book holds: report it with
 *       {@link #ownedElsewhere} or {@link #alreadyBelongs}.
 *   <li>Write the records, children before parents, and return the written book ({@link
 *       #savedBook}) or detail with its new revisions ({@link #nextRevision}).
 * </ul>
 *
 * <p>Not here: what the store can hold (lengths, characters, sizes) is {@link
 * io.taskflow4j.persistence.Connection#checkStorable}'s, and fencing is the backend's own.
 */
public final class WriteRules {

  /** The kinds of record the rules speak of; each message starts with the kind's label. */
  public enum Kind {
    /** A logbook. */
    LOGBOOK("Logbook", null),
    /** A flow detail, owned by a logbook. */
    FLOW("Flow detail", LOGBOOK),
    /** An atom detail (a task or retry detail), owned by a flow detail. */
    ATOM("Atom detail", FLOW);

    private final String label;
    private final Kind parent;

    Kind(String label, Kind parent) {
      this.label = label;
      this.parent = parent;
    }

    /** The kind in words at the start of a message ("Flow detail"). */
    public String label() {
      return label;
    }

    /** The kind in words inside a message ("flow detail"). */
    public String noun() {
      return label.toLowerCase(java.util.Locale.ROOT);
    }

    /** The kind of record that owns one of this kind, or {@code null} for a logbook. */
    public Kind parent() {
      return parent;
    }
  }

  /**
   * What a backend read of a stored flow or atom detail.
   *
   * @param owner the uuid of the parent the record belongs to; {@code null} when it belongs to
   *     another parent the store cannot name; the parent being written when the store cannot tell
   * @param revision the stored revision
   * @param type the stored atom type ({@link AtomDetail#TASK_DETAIL} or {@link
   *     AtomDetail#RETRY_DETAIL}); {@code null} for a flow detail, or when the store does not know
   *     it (the type is then not checked)
   */
  public record Stored(String owner, long revision, String type) {}

  private WriteRules() {}

  // ------------------------------------------------------------------ whole writes

  /**
   * Checks the flows of a book being saved, and their atoms, against what is stored: ownership,
   * type and revision, flow by flow in the book's order.
   *
   * @param storedFlows what is stored for a flow uuid, {@code null} when nothing is
   * @param storedAtoms what is stored for an atom uuid, {@code null} when nothing is
   */
  public static void checkBook(
      LogBook book, Function<String, Stored> storedFlows, Function<String, Stored> storedAtoms) {
    for (FlowDetail fd : book.flows()) {
      checkFlow(fd, book.uuid(), storedFlows.apply(fd.uuid()), storedAtoms);
    }
  }

  /**
   * Checks a flow detail and its atoms against what is stored.
   *
   * @param bookUuid the book it is saved through, or {@code null} for an update of a stored flow
   *     detail (its owner is then not checked)
   * @param stored what is stored of the flow detail, {@code null} when nothing is
   * @param storedAtoms what is stored for an atom uuid, {@code null} when nothing is
   */
  public static void checkFlow(
      FlowDetail fd, String bookUuid, Stored stored, Function<String, Stored> storedAtoms) {
    if (stored != null) {
      checkFlowRecord(fd, bookUuid, stored);
    }
    checkAtoms(fd, storedAtoms);
  }

  /**
   * Checks the atoms a flow detail carries against what is stored, in the flow's order.
   *
   * @param storedAtoms what is stored for an atom uuid, {@code null} when nothing is
   */
  public static void checkAtoms(FlowDetail fd, Function<String, Stored> storedAtoms) {
    for (AtomDetail ad : fd.atoms()) {
      Stored sa = storedAtoms.apply(ad.uuid());
      if (sa != null) {
        checkAtom(ad, fd.uuid(), sa);
      }
    }
  }

  /**
   * Checks a flow detail's own record (not its atoms) against what is stored of it: owner, then
   * revision.
   *
   * @param bookUuid the book it is saved through, or {@code null} for an update of a stored flow
   *     detail (its owner is then not checked)
   */
  public static void checkFlowRecord(FlowDetail fd, String bookUuid, Stored stored) {
    if (bookUuid != null) {
      checkOwner(Kind.FLOW, fd.uuid(), stored.owner(), bookUuid);
    }
    checkRevision(Kind.FLOW, fd.uuid(), fd.revision(), stored.revision());
  }

  /**
   * Checks an atom detail against what is stored of it: owner, type, then revision.
   *
   * @param flowUuid the flow detail it is written under, or {@code null} for an update of the atom
   *     alone (its owner is then not checked)
   */
  public static void checkAtom(AtomDetail ad, String flowUuid, Stored stored) {
    if (flowUuid != null) {
      checkOwner(Kind.ATOM, ad.uuid(), stored.owner(), flowUuid);
    }
    checkType(ad.uuid(), stored.type(), ad.typeName());
    checkRevision(Kind.ATOM, ad.uuid(), ad.revision(), stored.revision());
  }

  /**
   * Which flow detail of {@code book} carries each atom detail, by atom uuid.
   *
   * @throws DuplicateException when two flow details of the book carry one atom detail
   */
  public static Map<String, String> atomOwners(LogBook book) {
    Map<String, String> owners = new HashMap<>();
    for (FlowDetail fd : book.flows()) {
      for (AtomDetail ad : fd.atoms()) {
        String other = owners.put(ad.uuid(), fd.uuid());
        if (other != null) {
          throw new DuplicateException(
              "Atom detail '"
                  + ad.uuid()
                  + "' is carried by two flow details of logbook '"
                  + book.uuid()
                  + "' ('"
                  + other
                  + "' and '"
                  + fd.uuid()
                  + "'); an atom detail belongs to one flow detail");
        }
      }
    }
    return owners;
  }

  /**
   * The book a save returns: {@code book}'s fields with the stored creation time when there is one,
   * carrying the written flows.
   *
   * @param storedCreatedAt the creation time of the stored book, {@code null} when none is stored
   *     (or for a replacement, which keeps the one given)
   */
  public static LogBook savedBook(LogBook book, Instant storedCreatedAt, List<FlowDetail> written) {
    return LogBook.of(
        book.uuid(),
        book.name(),
        storedCreatedAt == null ? book.createdAt() : storedCreatedAt,
        book.updatedAt(),
        book.meta(),
        written);
  }

  /** The revision a write gives a record: the stored one plus one, or 1 when none is stored. */
  public static long nextRevision(Stored stored) {
    return stored == null ? 1 : stored.revision() + 1;
  }

  // ------------------------------------------------------------------ single rules

  /**
   * Whether a write based on revision {@code given} must find that revision stored: every revision
   * but 0, which writes whatever is stored.
   */
  public static boolean isChecked(long given) {
    return given != 0;
  }

  /**
   * The revision rule.
   *
   * @throws ConflictException when {@code given} is checked and not the stored revision
   */
  public static void checkRevision(Kind kind, String uuid, long given, long stored) {
    if (isChecked(given) && given != stored) {
      throw conflict(kind, uuid, given, stored);
    }
  }

  /**
   * The revision rule, for a backend whose messages name a record otherwise ("atom detail 'name'
   * (uuid)").
   *
   * @param subject the record, as the message names it; its first letter is capitalized
   */
  public static void checkRevision(String subject, long given, long stored) {
    if (isChecked(given) && given != stored) {
      throw conflict(subject, given, stored);
    }
  }

  /** The conflict a stale revision is reported with. */
  public static ConflictException conflict(Kind kind, String uuid, long given, long stored) {
    return conflict(kind.label() + " '" + uuid + "'", given, stored);
  }

  /**
   * The conflict a stale revision is reported with, naming the record by {@code subject}.
   *
   * @param subject the record, as the message names it; its first letter is capitalized
   */
  public static ConflictException conflict(String subject, long given, long stored) {
    return new ConflictException(
        Character.toUpperCase(subject.charAt(0))
            + subject.substring(1)
            + " was changed by another writer (stored revision "
            + stored
            + ", this write was based on revision "
            + given
            + "); reload it and try again");
  }

  /**
   * The ownership rule.
   *
   * @param owner the parent the stored record belongs to, {@code null} when it belongs to another
   *     parent the store cannot name
   * @param parent the parent it is written under
   * @throws DuplicateException when the record belongs to another parent
   */
  public static void checkOwner(Kind kind, String uuid, String owner, String parent) {
    if (owner == null || !owner.equals(parent)) {
      throw ownedElsewhere(kind, uuid, owner, parent);
    }
  }

  /**
   * The duplicate a record of another parent is reported with.
   *
   * @param owner the parent it belongs to, {@code null} when the store cannot name it
   */
  public static DuplicateException ownedElsewhere(
      Kind kind, String uuid, String owner, String parent) {
    Kind pk = kind.parent();
    return alreadyBelongs(
        kind, uuid, owner == null ? another(pk) : named(pk, owner), "'" + parent + "'");
  }

  /**
   * The duplicate a record of another parent is reported with, for the cases {@link
   * #ownedElsewhere} does not word: "{@code <Kind> '<uuid>' already belongs to <owner>, not to
   * <target>}". Build the phrases with {@link #named} and {@link #another}.
   */
  public static DuplicateException alreadyBelongs(
      Kind kind, String uuid, String owner, String target) {
    return new DuplicateException(
        kind.label() + " '" + uuid + "' already belongs to " + owner + ", not to " + target);
  }

  /** A record in a message: "flow detail 'uuid'". */
  public static String named(Kind kind, String uuid) {
    return kind.noun() + " '" + uuid + "'";
  }

  /** A record the store cannot name, in a message: "another logbook". */
  public static String another(Kind kind) {
    return "another " + kind.noun();
  }

  /**
   * The type rule.
   *
   * @param storedType the stored atom type, {@code null} when the store does not know it (not
   *     checked)
   * @throws DuplicateException when the stored type is another
   */
  public static void checkType(String uuid, String storedType, String givenType) {
    if (storedType != null && !storedType.equals(givenType)) {
      throw typeChanged(uuid, storedType, givenType);
    }
  }

  /** The duplicate an atom detail of another type is reported with. */
  public static DuplicateException typeChanged(String uuid, String storedType, String givenType) {
    return new DuplicateException(
        "Atom detail '"
            + uuid
            + "' is stored as a "
            + storedType
            + " and cannot be replaced by a "
            + givenType);
  }
}
