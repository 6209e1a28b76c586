package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFiles.closeQuietly;
import static io.taskflow4j.persistence.dir.DirFiles.ioFailure;
import static io.taskflow4j.persistence.dir.DirFiles.linkNames;
import static io.taskflow4j.persistence.dir.DirFiles.linkPosition;
import static io.taskflow4j.persistence.dir.DirFiles.links;
import static io.taskflow4j.persistence.dir.DirFiles.readOrNull;
import static io.taskflow4j.persistence.dir.DirFormat.atomJson;
import static io.taskflow4j.persistence.dir.DirFormat.bookHeader;
import static io.taskflow4j.persistence.dir.DirFormat.bookJson;
import static io.taskflow4j.persistence.dir.DirFormat.checkId;
import static io.taskflow4j.persistence.dir.DirFormat.checkIds;
import static io.taskflow4j.persistence.dir.DirFormat.header;
import static io.taskflow4j.persistence.dir.DirFormat.idProblem;
import static io.taskflow4j.persistence.dir.DirFormat.readHeader;
import static io.taskflow4j.persistence.dir.DirStore.ATOMS;
import static io.taskflow4j.persistence.dir.DirStore.BOOKS;
import static io.taskflow4j.persistence.dir.DirStore.FLOWS;
import static io.taskflow4j.persistence.dir.DirStore.K_CREATED_AT;
import static io.taskflow4j.persistence.dir.DirStore.K_NEXT_SEQ;
import static io.taskflow4j.persistence.dir.DirStore.K_PARENT;
import static io.taskflow4j.persistence.dir.DirStore.K_REVISION;
import static io.taskflow4j.persistence.dir.DirStore.K_SEQ;
import static io.taskflow4j.persistence.dir.DirStore.K_UPDATED_AT;
import static io.taskflow4j.persistence.dir.DirStore.METADATA;
import static io.taskflow4j.persistence.dir.DirStore.STAGING;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.dir.DirFiles.Link;
import io.taskflow4j.persistence.dir.DirFormat.BookHeader;
import io.taskflow4j.persistence.dir.DirFormat.Header;
import io.taskflow4j.persistence.dir.DirStore.Kind;
import io.taskflow4j.persistence.dir.DirWriteHook.Step;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.spi.WriteRules.Stored;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes of a {@link DirStore}: saves, replacements, updates and deletes (the deletes in {@link
 * DirDeletes}, through this class's steps), each under the store lock ({@link #locked}) with every
 * revision and owner checked before anything is written; new objects are staged in {@code .tmp/}
 * and renamed into place, changed records replaced atomically, deleted ones moved to {@code .tmp/}
 * and removed there. A failed write's temporaries are removed.
 */
final class DirWriter {
  private static final Logger LOG = LoggerFactory.getLogger(DirWriter.class);

  // Positions are save times; this keeps them strictly increasing within one JVM even when the
  // clock does not advance between two saves.
  private static final AtomicLong LAST_POSITION = new AtomicLong();
  private final DirStore store;
  private final DirFiles files;
  private final DirReader reader;
  private final Path root;
  private final Path books;
  private final Path flows;
  private final Path atoms;
  private final Path staging;

  DirWriter(DirStore store) {
    this.store = store;
    this.files = store.files;
    this.reader = store.reader;
    this.root = store.root();
    this.books = root.resolve(BOOKS);
    this.flows = root.resolve(FLOWS);
    this.atoms = root.resolve(ATOMS);
    this.staging = root.resolve(STAGING);
    this.syncer = new MetadataSyncer(files);
  }

  /** One object to write (a full metadata file) and the child links it gains. */
  static final class ObjWrite {
    final Kind kind;
    final String uuid;
    final byte[] data;
    final boolean isNew;
    final List<Link> newLinks;
    // An atom's header as written, remembered once it is in place; null for other records.
    final Header written;
    // An existing atom's marker file has a durable name (see AtomCache.Entry#markerReady).
    boolean markerReady;
    Path prepared;

    ObjWrite(Kind kind, String uuid, byte[] data, boolean isNew, List<Link> newLinks) {
      this(kind, uuid, data, isNew, newLinks, null);
    }

    ObjWrite(
        Kind kind, String uuid, byte[] data, boolean isNew, List<Link> newLinks, Header written) {
      this.kind = kind;
      this.uuid = uuid;
      this.data = data;
      this.isNew = isNew;
      this.newLinks = newLinks;
      this.written = written;
    }
  }

  /** What one write transaction made, to fsync directories once and clean up after a failure. */
  static final class Txn {
    final List<Path> temps = new ArrayList<>();
    final Set<Path> dirsToSync = new LinkedHashSet<>();
    // TaskFlow's object locks held until the write ends, by object directory. A second channel
    // on a file this JVM has locked must never be opened: closing it would drop the lock.
    final Map<Path, FileChannel> locks = new LinkedHashMap<>();
  }

  // Whether this backend removed what interrupted writes left (upgrade() or its first write).
  // Read and written only with the store lock held.
  boolean tidied;

  // What this backend last wrote or checked of atom records; only with the store lock held.
  final AtomCache cache = new AtomCache();

  // Metadata files written in place after their commit frame, to be synced (durability=power).
  final MetadataSyncer syncer;

  // While a replacement writes (store lock held): the atoms of the book it replaces, which may
  // change type or flow. Null otherwise.
  private Set<String> replacing;

  // ------------------------------------------------------------------ writes

  /**
   * Checks a book's ids, and that no atom detail is carried by two of its flow details; returns the
   * flow detail carrying each atom detail, by atom uuid.
   */
  private Map<String, String> checkBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    checkId(book.uuid(), Kind.BOOK);
    for (FlowDetail fd : book.flows()) {
      checkIds(fd);
    }
    return WriteRules.atomOwners(book);
  }

  LogBook saveLogBook(LogBook book, Fence fence) {
    checkBook(book);
    return locked(
        true, fence, "logbook '" + book.uuid() + "'", txn -> saveLocked(txn, book, false));
  }

  /**
   * Replaces a stored book by {@code book} under one hold of the store lock: writes every record of
   * {@code book} (as a save does: atoms, flow details, then the book's metadata, each replaced
   * atomically, with the given creation time), then unlinks and removes what the stored book had
   * and {@code book} has not. Everything is checked before anything is written (ids, owners), so a
   * refused replacement leaves the stored book as it was. The book is never missing: a crash
   * half-way leaves it with some records new and some old, and a second replacement finishes it.
   */
  LogBook replaceLogBook(LogBook book, Fence fence) {
    Map<String, String> atomOwner = checkBook(book);
    return locked(
        true,
        fence,
        "the replacement of logbook '" + book.uuid() + "'",
        txn -> {
          Path bookDir = books.resolve(book.uuid());
          if (readOrNull(bookDir.resolve(METADATA)) == null) {
            return saveLocked(txn, book, true);
          }
          // The stored tree: flow links of the book, atom links of each of its flows.
          Map<String, List<String>> oldTree = new LinkedHashMap<>();
          Set<String> oldAtoms = new java.util.HashSet<>();
          for (String f : linkNames(bookDir)) {
            if (idProblem(f) != null) {
              continue;
            }
            List<String> as = new ArrayList<>();
            for (String a : linkNames(flows.resolve(f))) {
              if (idProblem(a) == null) {
                as.add(a);
              }
            }
            oldTree.put(f, as);
            oldAtoms.addAll(as);
          }
          LogBook written;
          replacing = oldAtoms;
          try {
            written = saveLocked(txn, book, true);
          } finally {
            replacing = null;
          }
          // Every new record is in place: remove what only the stored book had.
          Map<String, Set<String>> kept = new HashMap<>();
          for (FlowDetail fd : book.flows()) {
            Set<String> as = new java.util.HashSet<>();
            for (AtomDetail ad : fd.atoms()) {
              as.add(ad.uuid());
            }
            kept.put(fd.uuid(), as);
          }
          for (Map.Entry<String, List<String>> e : oldTree.entrySet()) {
            String f = e.getKey();
            Set<String> keptAtoms = kept.get(f);
            if (keptAtoms == null) {
              unlink(bookDir.resolve(f), txn);
              Path fdDir = flows.resolve(f);
              if (Files.exists(fdDir, LinkOption.NOFOLLOW_LINKS)) {
                purge(moveToTrash(fdDir, Kind.FLOW, txn), Kind.FLOW, f, txn);
                txn.dirsToSync.add(flows);
              }
              continue;
            }
            for (String a : e.getValue()) {
              if (keptAtoms.contains(a)) {
                continue;
              }
              unlink(flows.resolve(f).resolve(a), txn);
              if (!atomOwner.containsKey(a)) {
                Path adDir = atoms.resolve(a);
                if (Files.exists(adDir, LinkOption.NOFOLLOW_LINKS)) {
                  files.deleteTree(moveToTrash(adDir, Kind.ATOM, txn));
                  txn.dirsToSync.add(atoms);
                }
              }
            }
          }
          syncDirs(txn);
          return written;
        });
  }

  /** Removes one child link of an object directory (the object it names stays). */
  void unlink(Path link, Txn txn) {
    cache.clear(); // a remembered atom may no longer be reachable
    try {
      Files.deleteIfExists(link);
    } catch (IOException e) {
      throw ioFailure("remove the link", link, e);
    }
    txn.dirsToSync.add(link.getParent());
  }

  /**
   * The body of a save, store lock held and ids checked: reads what is stored, checks every
   * revision and owner, then writes atoms, flow details and the book, in that order. {@code
   * replace}: the book's creation time is the one given, not the stored one, and each flow detail
   * keeps the record times it carries (when it carries them); else they are stamped now.
   */
  private LogBook saveLocked(Txn txn, LogBook book, boolean replace) {
    syncer.drain(); // as updateFlowDetails does
    Path bookDir = books.resolve(book.uuid());
    lockObjects(objectDirs(bookDir, book), txn);
    BookHeader old = bookHeader(bookDir);
    long seq = old == null ? nextPosition(-1) : old.seq();
    long floor = old == null ? -1 : old.nextSeq();
    // Check everything before writing anything: a conflict stores nothing.
    List<FlowPlan> plans = new ArrayList<>(book.size());
    Instant now = Instant.now();
    for (FlowDetail fd : book.flows()) {
      long linkPos = old == null ? -1 : linkPosition(bookDir.resolve(fd.uuid()));
      FlowPlan plan = planFlow(fd, book.uuid(), linkPos >= 0, false, now, replace);
      if (linkPos >= 0 && plan.seq < 0) {
        plan.seq = linkPos; // TaskFlow rewrote the flow detail: its link kept the position
      }
      plans.add(plan);
    }
    long next = floor;
    List<Link> newLinks = new ArrayList<>();
    for (FlowPlan p : plans) {
      if (!p.linked) {
        p.seq = nextPosition(floor);
        next = p.seq + 1;
        newLinks.add(new Link(p.fd.uuid(), p.seq));
      }
    }
    LogBook saved =
        WriteRules.savedBook(book, replace || old == null ? null : old.createdAt(), List.of());
    List<ObjWrite> atomWrites = new ArrayList<>();
    List<ObjWrite> flowWrites = new ArrayList<>();
    for (FlowPlan p : plans) {
      p.addWrites(atomWrites, flowWrites);
    }
    execute(atomWrites, txn);
    execute(flowWrites, txn);
    byte[] bookJson = bookJson(saved, seq, next);
    execute(List.of(new ObjWrite(Kind.BOOK, book.uuid(), bookJson, old == null, newLinks)), txn);
    List<FlowDetail> written = new ArrayList<>(plans.size());
    for (FlowPlan p : plans) {
      written.add(p.result());
    }
    return saved.withFlows(written);
  }

  /** The directories of a book and of every flow and atom detail it carries. */
  private List<Path> objectDirs(Path bookDir, LogBook book) {
    List<Path> objects = new ArrayList<>();
    objects.add(bookDir);
    for (FlowDetail fd : book.flows()) {
      objects.add(flows.resolve(fd.uuid()));
      for (AtomDetail ad : fd.atoms()) {
        objects.add(atoms.resolve(ad.uuid()));
      }
    }
    return objects;
  }

  FlowDetail updateFlowDetails(FlowDetail fd, Fence fence) {
    Objects.requireNonNull(fd, "flowDetail");
    checkIds(fd);
    return locked(
        true,
        fence,
        "flow detail '" + fd.uuid() + "'",
        txn -> {
          // A flow detail written (finished, say) after every record committed before it is
          // durable in TaskFlow's layout, not only in its commit frame.
          syncer.drain();
          List<Path> objects = new ArrayList<>();
          objects.add(flows.resolve(fd.uuid()));
          for (AtomDetail ad : fd.atoms()) {
            objects.add(atoms.resolve(ad.uuid()));
          }
          lockObjects(objects, txn);
          // (A flow detail TaskFlow rewrote has lost its seq and its parent: it stays without a
          // seq, and readers take its position from its book's link.)
          FlowPlan p = planFlow(fd, null, true, true, Instant.now(), false);
          List<ObjWrite> atomWrites = new ArrayList<>();
          List<ObjWrite> flowWrites = new ArrayList<>();
          p.addWrites(atomWrites, flowWrites);
          execute(atomWrites, txn);
          execute(flowWrites, txn);
          return p.result();
        });
  }

  AtomDetail updateAtomDetails(AtomDetail ad, Fence fence) {
    Objects.requireNonNull(ad, "atomDetail");
    checkId(ad.uuid(), Kind.ATOM);
    return locked(
        true,
        fence,
        "atom detail '" + ad.uuid() + "'",
        txn -> {
          Path dir = atoms.resolve(ad.uuid());
          lockObjects(List.of(dir), txn);
          Path file = dir.resolve(METADATA);
          // The object lock keeps TaskFlow out from here on, the store lock everyone else.
          BasicFileAttributes metadata = DirFiles.statOrNull(file);
          AtomCache.Entry known = cache.get(ad.uuid(), metadata);
          Header h;
          long metadataRevision;
          boolean commitFramed = false; // what the marker holds, when this backend does not know
          if (known != null) {
            // This backend wrote or checked it, and nobody wrote since.
            h = known.header();
            metadataRevision = known.metadataRevision();
          } else {
            AtomMarker.AtomRecord r = AtomMarker.read(dir);
            h = r == null ? null : r.checkedHeader();
            if (h == null || (h.parent() != null && !reader.atomReachable(h.parent(), ad.uuid()))) {
              throw new NotFoundException(
                  "Atom detail '"
                      + ad.uuid()
                      + "' not found; save it through its flow detail first");
            }
            metadataRevision = r.metadataRevision();
            commitFramed = r.commitFramed();
            if (r.committed()) {
              // A commit frame holds a record its metadata lost or tore (a power loss): it goes
              // over the metadata, synced, before anything overwrites the frame.
              execute(
                  List.of(new ObjWrite(Kind.ATOM, ad.uuid(), r.raw(), false, List.of(), h)), txn);
              metadata = DirFiles.statOrNull(file);
              metadataRevision = h.revision();
              commitFramed = false;
            }
          }
          WriteRules.checkAtom(ad, null, new Stored(h.parent(), h.revision(), h.type()));
          long rev = h.revision() + 1;
          Header written =
              new Header(rev, h.seq(), h.nextSeq(), h.parent(), ad.typeName(), h.createdAt());
          boolean power = files.sync;
          boolean fits = metadata != null && metadata.size() <= DirFiles.IN_PLACE_MAX;
          boolean markerReady = known != null && known.markerReady();
          // Sealed when written in place, and always with power (a commit's torn write over the
          // metadata is told by the seal it begins with: see AtomMarker).
          byte[] json = DirFormat.atomJson(ad, rev, h.seq(), h.parent(), power || fits);
          boolean inPlace = fits && json.length <= DirFiles.IN_PLACE_MAX;
          if (!power && inPlace) {
            // durability=process: the record rewritten over itself, in one write, markers too (a
            // marker file, made at an atom's first marker, costs more than the write); sealed, so
            // that a reader racing the write can tell.
            files.rewriteInPlace(file, padded(json, (int) metadata.size()));
            cache.put(ad.uuid(), written, rev, DirFiles.statOrNull(file), false);
          } else if (isMarker(ad)) {
            // Laid over the metadata, which stays the atom's durable record: see AtomMarker.
            keepCommitted(ad.uuid(), file, commitFramed);
            files.writeMarker(
                dir.resolve(AtomMarker.MARKER), AtomMarker.encode(metadataRevision, json));
            cache.put(ad.uuid(), written, metadataRevision, metadata, markerReady);
          } else if (markerReady && inPlace) {
            // durability=power, an atom this backend made with its marker file: the record is
            // committed in that file (one synced overwrite), then written over the metadata in
            // place, synced in the background (see AtomMarker, MetadataSyncer).
            keepCommitted(ad.uuid(), file, false);
            files.commitMarker(
                dir.resolve(AtomMarker.MARKER), AtomMarker.encodeCommit(metadataRevision, json));
            files.rewriteInPlace(file, padded(json, (int) metadata.size()));
            cache.put(ad.uuid(), written, rev, DirFiles.statOrNull(file), true);
            syncer.add(ad.uuid(), file);
          } else {
            ObjWrite w = new ObjWrite(Kind.ATOM, ad.uuid(), json, false, List.of(), written);
            w.markerReady = markerReady;
            execute(List.of(w), txn);
          }
          return ad.withRevision(rev);
        });
  }

  /**
   * Before an atom's marker file is overwritten: its metadata synced if the commit frame there may
   * be the only durable copy of its record. This backend knows which of its commits wait for that
   * sync ({@link MetadataSyncer}); of a frame another writer left ({@code commitFramed}, read when
   * this backend did not know the atom) it cannot tell, so that metadata is synced too.
   */
  private void keepCommitted(String uuid, Path metadataFile, boolean commitFramed) {
    syncer.syncNow(uuid);
    if (commitFramed && files.sync) {
      files.syncData(metadataFile, true);
    }
  }

  /**
   * The size an atom's record is padded to when it is made with {@code durability=power}: room for
   * the records a task's run writes over it in place (a result with its meta is some 500 bytes), so
   * that those writes do not change the file's size, whose sync would then also commit the file
   * system's journal.
   */
  static final int COMMIT_ROOM = 1024;

  /** {@code json} padded with spaces to {@code length} bytes when it is shorter. */
  private static byte[] padded(byte[] json, int length) {
    if (json.length >= length) {
      return json;
    }
    byte[] out = java.util.Arrays.copyOf(json, length);
    java.util.Arrays.fill(out, json.length, length, (byte) ' ');
    return out;
  }

  /**
   * Whether an atom update is a RUNNING or REVERTING marker, which need not survive a crash: the
   * task in flight runs again either way, and resumption treats the marker as the state it
   * replaced. Written over the metadata in place, never synced ({@link AtomMarker}).
   */
  private static boolean isMarker(AtomDetail ad) {
    return ad.state() == AtomState.RUNNING || ad.state() == AtomState.REVERTING;
  }

  /** A flow detail to write, with what was read about it and its atoms under the lock. */
  private final class FlowPlan {
    final FlowDetail fd;
    final Header header;
    final boolean linked;
    final String parent;
    final long newRev;
    long seq;
    long nextAtomSeq;
    Instant createdAt;
    Instant updatedAt;
    final List<AtomPlan> atomPlans = new ArrayList<>();

    FlowPlan(FlowDetail fd, Header header, boolean linked, String parent) {
      this.fd = fd;
      this.header = header;
      this.linked = linked;
      this.parent = parent;
      this.newRev = header == null ? 1 : header.revision() + 1;
      this.seq = header == null ? -1 : header.seq();
    }

    void addWrites(List<ObjWrite> atomWrites, List<ObjWrite> flowWrites) {
      List<Link> links = new ArrayList<>();
      for (AtomPlan a : atomPlans) {
        atomWrites.add(
            new ObjWrite(
                Kind.ATOM,
                a.ad.uuid(),
                files.sync
                    ? padded(atomJson(a.ad, a.newRev, a.seq, fd.uuid(), true), COMMIT_ROOM)
                    : atomJson(a.ad, a.newRev, a.seq, fd.uuid()),
                a.header == null,
                List.of(),
                new Header(a.newRev, a.seq, -1, fd.uuid(), a.ad.typeName(), null)));
        if (!a.linked) {
          links.add(new Link(a.ad.uuid(), a.seq));
        }
      }
      Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.flowDetailToMap(fd));
      m.put(K_REVISION, newRev);
      if (seq >= 0) {
        m.put(K_SEQ, seq);
      }
      if (nextAtomSeq >= 0) {
        m.put(K_NEXT_SEQ, nextAtomSeq);
      }
      if (parent != null) {
        m.put(K_PARENT, parent);
      }
      // TaskFlow's FlowDetail.from_dict() ignores these keys (and its writes drop them); encoded as
      // TaskFlow encodes the logbook's times in this layout.
      m.put(K_CREATED_AT, TaskFlowFormat.marshalTime(createdAt));
      m.put(K_UPDATED_AT, TaskFlowFormat.marshalTime(updatedAt));
      flowWrites.add(new ObjWrite(Kind.FLOW, fd.uuid(), Json.writeBytes(m), header == null, links));
    }

    FlowDetail result() {
      List<AtomDetail> written = new ArrayList<>(atomPlans.size());
      for (AtomPlan a : atomPlans) {
        written.add(a.ad.withRevision(a.newRev));
      }
      return fd.withAtoms(written).withRevision(newRev).withTimes(createdAt, updatedAt);
    }
  }

  private record AtomPlan(AtomDetail ad, Header header, boolean linked, long seq, long newRev) {}

  /**
   * Reads what is stored about a flow detail and its atoms and checks the write against it.
   *
   * @param bookUuid the book it is saved through, or {@code null} for an update
   * @param mustExist an update: the flow detail must be stored and linked from its book
   * @param now the time of this write: its update time, and its creation time if it is new
   * @param givenTimes a replacement: the flow keeps the times it carries, if it carries them
   */
  private FlowPlan planFlow(
      FlowDetail fd,
      String bookUuid,
      boolean linked,
      boolean mustExist,
      Instant now,
      boolean givenTimes) {
    Path fdDir = flows.resolve(fd.uuid());
    Header h = readHeader(fdDir);
    String parent = bookUuid;
    if (mustExist) {
      if (h == null
          || (h.parent() != null && !reader.linkedFrom(Kind.BOOK, h.parent(), fd.uuid()))) {
        throw new NotFoundException(
            "Flow detail '" + fd.uuid() + "' not found; save it through its logbook first");
      }
      parent = h.parent();
      WriteRules.checkFlowRecord(fd, null, new Stored(parent, h.revision(), null));
    } else if (h != null) {
      WriteRules.checkFlowRecord(fd, bookUuid, stored(h, Kind.BOOK, fd.uuid(), bookUuid, false));
    }
    FlowPlan plan = new FlowPlan(fd, h, linked, parent);
    if (givenTimes && fd.updatedAt() != null) {
      plan.updatedAt = fd.updatedAt();
      plan.createdAt = fd.createdAt() != null ? fd.createdAt() : fd.updatedAt();
    } else {
      plan.updatedAt = now.truncatedTo(ChronoUnit.MICROS);
      plan.createdAt = h == null ? plan.updatedAt : storedCreation(h, fdDir);
    }
    long floor = h == null ? -1 : h.nextSeq();
    long last = floor - 1;
    for (AtomDetail ad : fd.atoms()) {
      AtomMarker.AtomRecord stored = AtomMarker.readLikelyNew(atoms.resolve(ad.uuid()));
      Header ah = stored == null ? null : stored.checkedHeader();
      if (ah != null) {
        boolean replaced = replacing != null && replacing.contains(ad.uuid());
        WriteRules.checkAtom(ad, fd.uuid(), stored(ah, Kind.FLOW, ad.uuid(), fd.uuid(), replaced));
      }
      // A new atom's link is looked for without an exception (a dangling one is not seen; making
      // the link then finds it: DirFiles#symlink).
      Path link = fdDir.resolve(ad.uuid());
      long linkPos =
          h == null || (stored == null && !DirFiles.exists(link)) ? -1 : linkPosition(link);
      boolean atomLinked = linkPos >= 0;
      long seq;
      if (atomLinked && ah != null) {
        // TaskFlow rewrites atom files without our keys; the link it never touches kept it.
        seq = ah.seq() >= 0 ? ah.seq() : linkPos;
      } else {
        seq = last = nextPosition(floor);
      }
      plan.atomPlans.add(new AtomPlan(ad, ah, atomLinked, seq, ah == null ? 1 : ah.revision() + 1));
    }
    plan.nextAtomSeq = Math.max(last + 1, floor);
    return plan;
  }

  /**
   * The creation time of a stored flow detail: its {@code created_at}, or (TaskFlow last wrote it,
   * dropping our keys) its file's modification time, as readers report it.
   */
  private static Instant storedCreation(Header h, Path fdDir) {
    if (h.createdAt() != null) {
      return h.createdAt();
    }
    Instant m = DirReader.modifiedAt(fdDir.resolve(METADATA));
    return m != null ? m : Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  /**
   * A stored flow or atom detail as the write rules see it. Its parent key counts only when that
   * parent still links it (TaskFlow writes no parent key, and a detail moved by a replacement keeps
   * a stale one); an atom detail of the book being replaced belongs to it whatever its key says,
   * and may change its type.
   *
   * @param parent the parent it is written under
   */
  Stored stored(Header h, Kind parentKind, String uuid, String parent, boolean replaced) {
    String owner = parent;
    if (!replaced
        && h.parent() != null
        && !h.parent().equals(parent)
        && reader.linkedFrom(parentKind, h.parent(), uuid)) {
      owner = h.parent();
    }
    return new Stored(owner, h.revision(), replaced ? null : h.type());
  }

  /**
   * A new position: strictly increasing within this JVM, at least {@code floor} (the parent's
   * {@code next_seq}, so a child added by another process after a burst of positions still comes
   * last), and otherwise the time in microseconds. Positions are times so that they compare with
   * the modification times of links TaskFlow made (microseconds: what link times can be set to).
   */
  static long nextPosition(long floor) {
    Instant now = Instant.now();
    long t = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    return LAST_POSITION.updateAndGet(prev -> Math.max(Math.max(prev + 1, t), floor));
  }

  /**
   * Writes one level of objects: prepares every file (fsynced), renames them all into place, then
   * fsyncs each touched directory once. Links are made after the objects they point to.
   */
  void execute(List<ObjWrite> writes, Txn txn) {
    if (writes.isEmpty()) {
      return;
    }
    if (files.sync && writes.size() >= BATCH_SYNC_MIN) {
      // Written first, then synced all at once (DirFiles#syncAll): still each file and staged
      // directory synced before anything is renamed into place.
      Batch batch = new Batch();
      for (ObjWrite w : writes) {
        prepare(w, txn, batch);
      }
      files.syncAll(batch.files, batch.dirs);
    } else {
      for (ObjWrite w : writes) {
        prepare(w, txn, null);
      }
    }
    for (ObjWrite w : writes) {
      commit(w, txn);
    }
    syncDirs(txn);
  }

  /** Writes at least this many objects at a time sync their files together. */
  static final int BATCH_SYNC_MIN = 4;

  /** The files and staged directories a batch of writes syncs together. */
  private static final class Batch {
    final List<Path> files = new ArrayList<>();
    final List<Path> dirs = new ArrayList<>();
  }

  /**
   * Writes an object's new file (and, when it is new, its staged directory) outside the store;
   * synced here unless {@code batch} collects what to sync.
   */
  private void prepare(ObjWrite w, Txn txn, Batch batch) {
    boolean syncNow = files.sync && batch == null;
    if (w.isNew) {
      files.ensureStaging();
      Path staged = staging.resolve(files.tempName(w.kind));
      files.mkdir(staged);
      txn.temps.add(staged);
      if (w.kind == Kind.ATOM && files.sync) {
        // Its marker file, empty, made now so that its name is durable with the directory's
        // (synced below): a commit frame then costs one overwrite synced (see AtomMarker). Made
        // before the record, whose sync then commits it too on a journaling file system, so
        // that the directory's sync below has nothing left to commit.
        files.createEmpty(staged.resolve(AtomMarker.MARKER));
      }
      files.writeNewFile(staged.resolve(METADATA), w.data, syncNow);
      for (Link c : w.newLinks) {
        files.symlink(staged.resolve(c.name()), linkTarget(w.kind, c.name()), c.position());
      }
      if (batch == null) {
        files.syncDir(staged);
      } else {
        batch.files.add(staged.resolve(METADATA));
        batch.dirs.add(staged);
      }
      w.prepared = staged;
    } else {
      // In the staging directory, not the object's: TaskFlow lists an object directory's
      // symlinks as its children and deletes object directories without our lock.
      Path temp = staging.resolve(files.tempName(null));
      txn.temps.add(temp);
      try {
        files.writeNewFile(temp, w.data, syncNow);
      } catch (StorageException e) {
        if (!(e.getCause() instanceof NoSuchFileException) || Files.isDirectory(staging)) {
          throw e;
        }
        // Someone removed the staging directory (it is never checked per write: one syscall
        // less on the hot path); make it again.
        files.ensureStaging();
        files.writeNewFile(temp, w.data, syncNow);
      }
      if (batch != null) {
        batch.files.add(temp);
      }
      w.prepared = temp;
    }
  }

  /**
   * The target of the link from an object of {@code kind} to its child {@code name}: relative,
   * {@code ../../<child kind's directory>/<name>}, from the object's directory (or its staged copy,
   * at the same depth). TaskFlow writes absolute targets and reads none (a child is found by the
   * link's name, a link by being one), so either reads alike; a relative one is short enough for
   * the file system to keep in the link's inode (ext4 does up to 59 bytes: no block to allocate and
   * clear per link), and it still resolves after the store directory is moved or copied.
   */
  private static Path linkTarget(Kind kind, String name) {
    return Path.of("..", "..", kind.child().dirName, name);
  }

  private void commit(ObjWrite w, Txn txn) {
    Path kindDir = root.resolve(w.kind.dirName);
    Path objDir = kindDir.resolve(w.uuid);
    if (w.isNew) {
      if (!files.moveUnlessTaken(w.prepared, objDir)) {
        // A directory without metadata (a TaskFlow phantom, or damage): it is not an object.
        moveToTrash(objDir, w.kind, txn);
        files.move(w.prepared, objDir);
      }
      txn.dirsToSync.add(kindDir);
    } else {
      files.move(w.prepared, objDir.resolve(METADATA));
      txn.dirsToSync.add(objDir);
      for (Link c : w.newLinks) {
        // Made in place: a symlink appears whole. Cut before its time is set, it keeps the time
        // it was made, a little after its position; readers order by the child's recorded seq.
        files.symlink(objDir.resolve(c.name()), linkTarget(w.kind, c.name()), c.position());
      }
    }
    if (w.written != null) {
      cache.put(
          w.uuid,
          w.written,
          w.written.revision(),
          DirFiles.statOrNull(objDir.resolve(METADATA)),
          w.isNew ? files.sync : w.markerReady);
    }
  }

  /**
   * Removes a trashed object directory and, recursively, the children only it owned: those whose
   * {@code parent} is this object (or unknown) and that no live object of this uuid links.
   */
  void purge(Path trashed, Kind kind, String uuid, Txn txn) {
    Kind ck = kind.child();
    if (ck != null && uuid != null) {
      Path childRoot = root.resolve(ck.dirName);
      for (String c : linkNames(trashed)) {
        if (idProblem(c) != null || reader.linkedFrom(kind, uuid, c)) {
          continue;
        }
        Path childDir = childRoot.resolve(c);
        if (!Files.exists(childDir, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        Path f = childDir.resolve(METADATA);
        byte[] b = readOrNull(f);
        String owner = null;
        if (b != null) {
          try {
            owner = header(f, b).parent();
          } catch (StorageException corrupt) {
            // A corrupt child of a deleted object goes with it.
          }
        }
        if (owner != null && !owner.equals(uuid)) {
          continue;
        }
        Path t = moveToTrash(childDir, ck, txn);
        txn.dirsToSync.add(childRoot);
        purge(t, ck, c, txn);
      }
    }
    files.deleteTree(trashed);
  }

  /**
   * Moves an object directory out of the store, holding TaskFlow's lock of the object meanwhile (so
   * a TaskFlow write of it finishes first, or finds it gone). One lock at a time: a delete never
   * waits for a lock while holding another.
   */
  Path moveToTrash(Path p, Kind kind, Txn txn) {
    cache.clear(); // a remembered atom may be inside, or no longer reachable
    files.ensureStaging();
    Path t = staging.resolve(files.tempName(kind));
    // Unless this write holds it already (a TaskFlow phantom directory replaced by a new object).
    FileChannel lock = txn.locks.containsKey(p) ? null : files.lockObject(p);
    try {
      Files.move(p, t, StandardCopyOption.ATOMIC_MOVE);
      files.hook.after(Step.REMOVED, p);
    } catch (IOException e) {
      throw ioFailure("move out of the store", p, e);
    } finally {
      closeQuietly(lock);
    }
    return t;
  }

  /**
   * Takes TaskFlow's per-object locks ({@code <object dir>/lock}, which TaskFlow holds with {@code
   * fasteners.InterProcessLock} around each read and write of an object) for the objects of a write
   * that exist and that TaskFlow has touched (their lock file exists: see {@link
   * DirFiles#lockObject}), in one fixed order (by path), until the write ends. Objects that do not
   * exist yet are made in {@code .tmp/} and renamed into place, so they need none.
   */
  void lockObjects(List<Path> objectDirs, Txn txn) {
    for (Path dir : new TreeSet<>(objectDirs)) {
      if (!txn.locks.containsKey(dir)) {
        FileChannel ch = files.lockObject(dir);
        if (ch != null) {
          txn.locks.put(dir, ch);
        }
      }
    }
  }

  void syncDirs(Txn txn) {
    for (Path d : txn.dirsToSync) {
      files.syncDir(d);
    }
    txn.dirsToSync.clear();
  }

  private void cleanup(Txn txn) {
    for (int i = txn.temps.size() - 1; i >= 0; i--) {
      Path t = txn.temps.get(i);
      try {
        if (Files.isDirectory(t, LinkOption.NOFOLLOW_LINKS)) {
          files.deleteTree(t);
        } else {
          Files.deleteIfExists(t);
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not remove temporary {} after a failed write", t, e);
      }
    }
  }

  // ------------------------------------------------------------------ locking

  /**
   * {@link #locked(boolean, Function)}, refusing the write of {@code what} first if {@code fence}
   * is stale.
   */
  <T> T locked(boolean requireStore, Fence fence, String what, Function<Txn, T> body) {
    return locked(
        requireStore,
        txn -> {
          store.checkFence(fence, what);
          return body.apply(txn);
        });
  }

  /** Runs {@code body} under the store's write lock; a failed write's temporaries are removed. */
  <T> T locked(boolean requireStore, Function<Txn, T> body) {
    return locked(requireStore, true, body);
  }

  /**
   * As {@link #locked(boolean, Function)}; {@code tidyFirst}: the first time this backend takes the
   * lock, it first removes what interrupted writes left ({@link #tidyOnce}).
   */
  <T> T locked(boolean requireStore, boolean tidyFirst, Function<Txn, T> body) {
    StoreLock l = store.storeLock(requireStore);
    return l.locked(
        () -> {
          // Tell every other writer this one is here (they forget what they remember) before
          // anything is written; learn whether anyone else was (then forget).
          StoreLock.Stamp stamp = cache.begin(l.readStamp());
          l.writeStamp(stamp);
          cache.stamped(stamp);
          if (tidyFirst) {
            tidyOnce();
          }
          Txn txn = new Txn();
          boolean done = false;
          try {
            T result = body.apply(txn);
            done = true;
            return result;
          } catch (StorageException e) {
            cleanup(txn);
            throw e;
          } finally {
            if (!done) {
              cache.clear(); // a failed write may have left records other than remembered
            }
            List<FileChannel> held = new ArrayList<>(txn.locks.values());
            for (int i = held.size() - 1; i >= 0; i--) {
              closeQuietly(held.get(i));
            }
          }
        });
  }

  /**
   * Before the first write of this backend (store lock held): removes what interrupted writes left,
   * as {@link DirStore#upgrade} does, so that a store opened without upgrade() (to resume a flow,
   * to delete a book) is tidied by the first command that writes, while reads never change
   * anything. Safe against live writers: every write, of this process or another, makes its
   * temporaries and removes or renames them while holding the store lock, so with the lock held
   * whatever is left is from a write that died. A store that cannot be tidied still takes the
   * write; why is logged.
   */
  private void tidyOnce() {
    if (tidied) {
      return;
    }
    tidied = true;
    Txn txn = new Txn();
    try {
      store.sweep(txn);
    } catch (StorageException e) {
      LOG.warn("could not remove what interrupted writes left in {}: {}", root, e.getMessage());
    } finally {
      for (FileChannel ch : txn.locks.values()) {
        closeQuietly(ch);
      }
    }
  }
}
