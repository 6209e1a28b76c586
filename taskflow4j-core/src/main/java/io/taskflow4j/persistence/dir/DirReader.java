package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFiles.linkPosition;
import static io.taskflow4j.persistence.dir.DirFiles.links;
import static io.taskflow4j.persistence.dir.DirFiles.names;
import static io.taskflow4j.persistence.dir.DirFiles.readOrNull;
import static io.taskflow4j.persistence.dir.DirFormat.atomState;
import static io.taskflow4j.persistence.dir.DirFormat.checkId;
import static io.taskflow4j.persistence.dir.DirFormat.corrupt;
import static io.taskflow4j.persistence.dir.DirFormat.flowHead;
import static io.taskflow4j.persistence.dir.DirFormat.header;
import static io.taskflow4j.persistence.dir.DirFormat.idProblem;
import static io.taskflow4j.persistence.dir.DirFormat.longKey;
import static io.taskflow4j.persistence.dir.DirFormat.parseMap;
import static io.taskflow4j.persistence.dir.DirFormat.revision;
import static io.taskflow4j.persistence.dir.DirFormat.time;
import static io.taskflow4j.persistence.dir.DirStore.ATOMS;
import static io.taskflow4j.persistence.dir.DirStore.BOOKS;
import static io.taskflow4j.persistence.dir.DirStore.FLOWS;
import static io.taskflow4j.persistence.dir.DirStore.K_CREATED_AT;
import static io.taskflow4j.persistence.dir.DirStore.K_PARENT;
import static io.taskflow4j.persistence.dir.DirStore.K_SEQ;
import static io.taskflow4j.persistence.dir.DirStore.K_UPDATED_AT;
import static io.taskflow4j.persistence.dir.DirStore.METADATA;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.dir.DirFiles.Link;
import io.taskflow4j.persistence.dir.DirFormat.FlowHead;
import io.taskflow4j.persistence.dir.DirStore.Kind;
import io.taskflow4j.persistence.spi.FlowPageCollector;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reads of a {@link DirStore}: books, flow and atom details, and the tolerant scan. Reads take
 * no lock and change nothing; they skip temporary names, links whose object is gone and objects
 * whose owner does not link them, and sort children by their recorded positions.
 */
final class DirReader {
  private static final Logger LOG = LoggerFactory.getLogger(DirReader.class);

  // Positions of children are times in microseconds; older stores counted from 0.
  private static final long MIN_TIME_POSITION = 100_000_000_000_000L;

  /** Oldest first: by creation time, then save position, then uuid. */
  private static final Comparator<Loaded<LogBook>> BOOK_ORDER =
      Comparator.comparing((Loaded<LogBook> l) -> l.value.createdAt())
          .thenComparingLong(l -> l.seq)
          .thenComparing(l -> l.name);

  private final DirStore store;
  private final DirFiles files;
  private final Path root;
  private final Path books;
  private final Path flows;
  private final Path atoms;

  DirReader(DirStore store) {
    this.store = store;
    this.files = store.files;
    this.root = store.root();
    this.books = root.resolve(BOOKS);
    this.flows = root.resolve(FLOWS);
    this.atoms = root.resolve(ATOMS);
  }

  // ------------------------------------------------------------------ reads

  LogBook getLogBook(String uuid, boolean lazy) {
    checkId(uuid, Kind.BOOK);
    store.ensureOpen();
    Loaded<LogBook> b = readBook(uuid, lazy, null);
    if (b == null) {
      throw new NotFoundException("Logbook '" + uuid + "' not found");
    }
    return b.value;
  }

  List<LogBook> getLogBooks(boolean lazy) {
    store.ensureOpen();
    requireUsableRootWithoutBooks();
    List<Loaded<LogBook>> found = new ArrayList<>();
    for (String name : names(books)) {
      if (idProblem(name) != null) {
        continue;
      }
      Loaded<LogBook> b = readBook(name, lazy, null);
      if (b != null) {
        found.add(b);
      }
    }
    found.sort(BOOK_ORDER);
    List<LogBook> out = new ArrayList<>(found.size());
    for (Loaded<LogBook> l : found) {
      out.add(l.value);
    }
    return out;
  }

  /**
   * A store without {@code books/} has no logbooks (TaskFlow makes it on its first write), unless
   * there is no store at all to read: a file, or a directory this user may not enter, which reads
   * as empty too and must not pass for an empty store.
   */
  private void requireUsableRootWithoutBooks() {
    if (!Files.isDirectory(books)) {
      files.requireUsableRoot();
    }
  }

  /**
   * The tolerant scan ({@link io.taskflow4j.persistence.Connection#forEachLogBook}) in two passes:
   * the first reads each book's own record (lazily, one at a time) to sort the books, keeping only
   * its uuid, creation time and position; the second reads the books in that order one at a time,
   * with their flow and atom details unless lazy, and hands each over before reading the next. So
   * it holds one small key per book and one book at a time. A damaged record goes to {@code
   * damaged} (a book's own in the first pass, its details' in the second) and its book is skipped.
   * Reads take no lock, so the consumers may write.
   */
  void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> out,
      Consumer<? super CorruptRecordException> damaged) {
    store.ensureOpen();
    requireUsableRootWithoutBooks();
    List<Loaded<LogBook>> keys = new ArrayList<>();
    for (String name : names(books)) {
      if (idProblem(name) != null) {
        continue;
      }
      Loaded<LogBook> b;
      try {
        b = readBook(name, true, null);
      } catch (CorruptRecordException e) {
        damaged.accept(e);
        continue;
      }
      if (b != null) {
        // Only the sort key is kept: the book is read again, in full, in its turn.
        LogBook key = LogBook.of(name, "", b.value.createdAt(), null, Map.of(), List.of());
        keys.add(new Loaded<>(key, b.seq, -1, name));
      }
    }
    keys.sort(BOOK_ORDER);
    for (Loaded<LogBook> key : keys) {
      List<CorruptRecordException> found = new ArrayList<>();
      Loaded<LogBook> b;
      try {
        b = readBook(key.name, lazy, found);
      } catch (CorruptRecordException e) {
        found.add(e);
        b = null;
      }
      if (!found.isEmpty()) {
        found.forEach(damaged);
      } else if (b != null) {
        out.accept(b.value); // (null: deleted since the first pass)
      }
    }
  }

  List<FlowDetail> getFlowsForBook(String uuid) {
    checkId(uuid, Kind.BOOK);
    store.ensureOpen();
    Path dir = books.resolve(uuid);
    if (!Files.exists(dir.resolve(METADATA))) {
      throw new NotFoundException("Logbook '" + uuid + "' not found");
    }
    return readFlowsOf(dir, uuid, null);
  }

  FlowDetail getFlowDetails(String uuid, boolean lazy) {
    checkId(uuid, Kind.FLOW);
    store.ensureOpen();
    Loaded<FlowDetail> f = readFlow(uuid, -1, lazy, true, null, null);
    if (f == null) {
      throw new NotFoundException("Flow detail '" + uuid + "' not found");
    }
    return f.value;
  }

  AtomDetail getAtomDetails(String uuid) {
    checkId(uuid, Kind.ATOM);
    store.ensureOpen();
    Loaded<AtomDetail> a = readAtom(uuid, -1, true);
    if (a == null) {
      throw new NotFoundException("Atom detail '" + uuid + "' not found");
    }
    return a.value;
  }

  List<AtomDetail> getAtomsForFlow(String uuid) {
    return getFlowDetails(uuid, false).atoms();
  }

  /** An object read from disk with its position among its siblings. */
  private record Loaded<T>(T value, long seq, long linkPosition, String name) {
    /** Where it sorts: its recorded position, or (TaskFlow dropped it) its link's. */
    long position() {
      return seq >= MIN_TIME_POSITION || linkPosition < 0 ? seq : linkPosition;
    }
  }

  /**
   * A book, or {@code null} when it does not exist. A damaged flow or atom detail is added to
   * {@code damage} when given (the book is then returned without it), else thrown; a damaged book
   * record is thrown.
   */
  private Loaded<LogBook> readBook(String uuid, boolean lazy, List<CorruptRecordException> damage) {
    Path dir = books.resolve(uuid);
    Path file = dir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    List<FlowDetail> fds = lazy ? List.of() : readFlowsOf(dir, uuid, damage);
    try {
      return new Loaded<>(TaskFlowFormat.logBookFromMap(m, fds), longKey(m, K_SEQ, -1), -1, uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /**
   * The flow details a book links, in order. A damaged one (or a damaged atom of one) is added to
   * {@code damage} when given, and left out; else it is thrown, naming the book.
   */
  private List<FlowDetail> readFlowsOf(
      Path bookDir, String bookUuid, List<CorruptRecordException> damage) {
    List<Loaded<FlowDetail>> found = new ArrayList<>();
    for (Link c : links(bookDir)) {
      if (idProblem(c.name()) != null) {
        continue;
      }
      Loaded<FlowDetail> f;
      try {
        f = readFlow(c.name(), c.position(), false, false, bookUuid, damage);
      } catch (CorruptRecordException e) {
        if (damage == null) {
          throw e.inBook(bookUuid);
        }
        damage.add(e.inBook(bookUuid));
        continue;
      }
      if (f != null) {
        found.add(f);
      } else {
        LOG.debug("skipping link {} of {}: its flow detail is gone", c, bookDir);
      }
    }
    return sorted(found);
  }

  private Loaded<FlowDetail> readFlow(
      String uuid,
      long linkPosition,
      boolean lazy,
      boolean checkOwner,
      String bookUuid,
      List<CorruptRecordException> damage) {
    Path dir = flows.resolve(uuid);
    Path file = dir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    if (checkOwner && m.get(K_PARENT) instanceof String p && !linkedFrom(Kind.BOOK, p, uuid)) {
      return null; // an orphan: its save never linked it, or its book is being deleted
    }
    String book = bookUuid != null ? bookUuid : m.get(K_PARENT) instanceof String p ? p : null;
    Instant created = time(m.get(K_CREATED_AT), file);
    Instant updated = time(m.get(K_UPDATED_AT), file);
    if (created == null && updated == null) {
      // TaskFlow wrote it (its to_dict() has no times): it was last written when its file was.
      created = updated = modifiedAt(file);
      if (updated == null) {
        return null; // deleted since it was read
      }
    } else if (created == null) {
      created = updated;
    }
    List<AtomDetail> ads = lazy ? List.of() : readAtomsOf(dir, book, damage);
    try {
      return new Loaded<>(
          TaskFlowFormat.flowDetailFromMap(m, ads, revision(m, raw)).withTimes(created, updated),
          longKey(m, K_SEQ, -1),
          linkPosition,
          uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /** As {@link #readFlowsOf}, for the atoms a flow detail links. */
  private List<AtomDetail> readAtomsOf(
      Path flowDir, String bookUuid, List<CorruptRecordException> damage) {
    List<Loaded<AtomDetail>> found = new ArrayList<>();
    for (Link c : links(flowDir)) {
      if (idProblem(c.name()) != null) {
        continue;
      }
      Loaded<AtomDetail> a;
      try {
        a = readAtom(c.name(), c.position(), false);
      } catch (CorruptRecordException e) {
        if (damage == null) {
          throw e.inBook(bookUuid);
        }
        damage.add(e.inBook(bookUuid));
        continue;
      }
      if (a != null) {
        found.add(a);
      } else {
        LOG.debug("skipping link {} of {}: its atom detail is gone", c, flowDir);
      }
    }
    return sorted(found);
  }

  private Loaded<AtomDetail> readAtom(String uuid, long linkPosition, boolean checkOwner) {
    AtomMarker.AtomRecord r = AtomMarker.read(atoms.resolve(uuid));
    if (r == null) {
      return null;
    }
    Path file = r.file();
    byte[] raw = r.raw();
    Map<?, ?> m = parseMap(file, raw);
    if (r.header() == null) {
      r.checkedHeader(); // valid JSON but no whole record: read half-written (see K_SEAL), damaged
    }
    if (checkOwner && m.get(K_PARENT) instanceof String p && !atomReachable(p, uuid)) {
      return null;
    }
    try {
      return new Loaded<>(
          TaskFlowFormat.atomFromEnvelope(m, revision(m, raw)),
          longKey(m, K_SEQ, -1),
          linkPosition,
          uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /**
   * When a file was last written, to the microsecond (what a store records), or {@code null} when
   * it is gone.
   */
  static Instant modifiedAt(Path file) {
    try {
      return Files.getLastModifiedTime(file).toInstant().truncatedTo(ChronoUnit.MICROS);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return null;
    } catch (IOException e) {
      throw DirFiles.ioFailure("read the modification time of", file, e);
    }
  }

  // ------------------------------------------------------------------ flow listings

  /**
   * One page of {@link io.taskflow4j.persistence.Connection#findFlows}: a scan of the flow records
   * (see {@link #scanFlows}), then the atom records of the page's flows only, to count them.
   */
  FlowPage findFlows(FlowQuery query, Consumer<? super CorruptRecordException> damaged) {
    FlowPageCollector page = new FlowPageCollector(query);
    scanFlows(query, page::offer, damaged);
    return page.page(this::withAtomCounts);
  }

  /** {@link io.taskflow4j.persistence.Connection#countFlows}: the scan, no atom record read. */
  Map<FlowState, Long> countFlows(FlowQuery query) {
    Map<FlowState, Long> counts = new EnumMap<>(FlowState.class);
    scanFlows(
        query,
        f -> {
          if (query.matches(f)) {
            counts.merge(f.state(), 1L, Long::sum);
          }
        },
        e -> LOG.debug("flow count: leaving out a damaged record: {}", e.getMessage()));
    return counts;
  }

  /**
   * Offers a summary (without atom counts) of every flow detail a book links: lists {@code books/}
   * as a stream, reads each book's own record (its name; a book whose name the query excludes is
   * skipped whole), lists its links and reads each linked flow's record, streaming over its meta.
   * Holds one book's link names at a time, nothing else. A damaged book or flow record goes to
   * {@code damaged} and is left out; a link whose flow is gone (a delete under way) is skipped.
   * Takes no lock.
   */
  private void scanFlows(
      FlowQuery query,
      Consumer<FlowSummary> out,
      Consumer<? super CorruptRecordException> damaged) {
    store.ensureOpen();
    requireUsableRootWithoutBooks();
    String bookPrefix = query.bookNamePrefix().orElse(null);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(books)) {
      for (Path bookDir : ds) {
        String bookUuid = bookDir.getFileName().toString();
        if (idProblem(bookUuid) != null) {
          continue;
        }
        Path bookFile = bookDir.resolve(METADATA);
        String bookName;
        try {
          byte[] raw = readOrNull(bookFile);
          if (raw == null) {
            continue;
          }
          Object n = parseMap(bookFile, raw).get("name");
          bookName = n == null ? "" : String.valueOf(n);
        } catch (CorruptRecordException e) {
          damaged.accept(e.inBook(bookUuid));
          continue;
        }
        if (bookPrefix != null && !bookName.startsWith(bookPrefix)) {
          continue;
        }
        for (String flowUuid : DirFiles.linkNames(bookDir)) {
          if (idProblem(flowUuid) != null) {
            continue;
          }
          FlowSummary f;
          try {
            f = summary(bookUuid, bookName, flowUuid);
          } catch (CorruptRecordException e) {
            damaged.accept(e.inBook(bookUuid));
            continue;
          }
          if (f != null) {
            out.accept(f);
          }
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      // no books/ yet: no flows
    } catch (IOException e) {
      throw DirFiles.ioFailure("list", books, e);
    } catch (DirectoryIteratorException e) {
      throw DirFiles.ioFailure("list", books, e.getCause());
    }
  }

  /** The summary of a linked flow detail, without atom counts; {@code null} when it is gone. */
  private FlowSummary summary(String bookUuid, String bookName, String flowUuid) {
    Path file = flows.resolve(flowUuid).resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    FlowHead h = flowHead(file, raw);
    Instant created = h.createdAt();
    Instant updated = h.updatedAt();
    if (created == null && updated == null) {
      created = updated = modifiedAt(file);
      if (updated == null) {
        return null;
      }
    } else if (updated == null) {
      updated = created;
    }
    return new FlowSummary(
        bookUuid,
        bookName,
        flowUuid,
        h.name(),
        h.state(),
        created,
        updated,
        h.revision(),
        Map.of());
  }

  /**
   * {@code f} with its atom details counted by state: lists the flow's links and reads each atom
   * record, streaming over its results. A damaged atom record is logged and not counted.
   */
  private FlowSummary withAtomCounts(FlowSummary f) {
    Map<AtomState, Integer> counts = new EnumMap<>(AtomState.class);
    for (String atomUuid : DirFiles.linkNames(flows.resolve(f.flowUuid()))) {
      if (idProblem(atomUuid) != null) {
        continue;
      }
      try {
        AtomMarker.AtomRecord r = AtomMarker.read(atoms.resolve(atomUuid));
        if (r == null) {
          continue;
        }
        counts.merge(atomState(r.file(), r.raw()), 1, Integer::sum);
      } catch (CorruptRecordException e) {
        LOG.warn("flow listing: not counting a damaged atom detail: {}", e.getMessage());
      }
    }
    return f.withAtomCounts(counts);
  }

  /**
   * Insertion order: by position (a time); between equal positions (links of a store written before
   * positions were times, or times of a coarse file system) by the recorded counter, then by uuid.
   */
  private static <T> List<T> sorted(List<Loaded<T>> found) {
    found.sort(
        Comparator.comparingLong((Loaded<T> l) -> l.position())
            .thenComparingLong(l -> l.seq)
            .thenComparing(l -> l.name));
    List<T> out = new ArrayList<>(found.size());
    for (Loaded<T> l : found) {
      out.add(l.value);
    }
    return out;
  }

  /**
   * Whether an atom is reachable from a book: its flow links it and the flow is itself linked by
   * its book. An atom under a flow that a cut save never linked (or a cut delete unlinked) is an
   * orphan like its flow, even though the flow still links it.
   */
  boolean atomReachable(String flowUuid, String atomUuid) {
    if (!linkedFrom(Kind.FLOW, flowUuid, atomUuid)) {
      return false;
    }
    Path f = flows.resolve(flowUuid).resolve(METADATA);
    byte[] b = readOrNull(f);
    if (b == null) {
      return false;
    }
    String book = header(f, b).parent();
    return book == null || linkedFrom(Kind.BOOK, book, flowUuid);
  }

  boolean linkedFrom(Kind parentKind, String parentUuid, String childUuid) {
    if (idProblem(parentUuid) != null) {
      return false;
    }
    return Files.isSymbolicLink(
        root.resolve(parentKind.dirName).resolve(parentUuid).resolve(childUuid));
  }
}
