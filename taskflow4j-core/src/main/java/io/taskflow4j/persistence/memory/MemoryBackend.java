package io.taskflow4j.persistence.memory;

import io.taskflow4j.internal.Capacity;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.spi.FlowPageCollector;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.spi.WriteRules.Kind;
import io.taskflow4j.persistence.spi.WriteRules.Stored;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Keeps logbooks in this JVM's memory, for tests and for engines that share a backend object. Not
 * durable: the data lives as long as the backend. Thread-safe for any number of engines, threads
 * and connections.
 *
 * <p>Stored values are the immutable model objects themselves, minus the live exceptions of
 * failures (so a reload behaves as it does from a durable backend: a failure read back re-raises as
 * a {@link io.taskflow4j.persistence.WrappedFailureException}).
 */
public final class MemoryBackend implements Backend {
  private final BackendConf conf;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  // Guarded by lock. Insertion order is the order TaskFlow's dicts would have.
  private final Map<String, BookRec> books = new LinkedHashMap<>();
  private final Map<String, FlowRec> flows = new LinkedHashMap<>();
  // Guarded by lock. Only looked up: a flow keeps the order of its own atoms (FlowRec.atoms).
  private Map<String, AtomRec> atoms = new HashMap<>();
  private final Map<String, Long> fences = new HashMap<>(); // guarded by lock
  private volatile boolean closed;

  /** A new, empty memory backend. */
  public MemoryBackend() {
    this(BackendConf.parse("memory://"));
  }

  /** A new, empty memory backend with this configuration. */
  public MemoryBackend(BackendConf conf) {
    this.conf = Objects.requireNonNull(conf, "conf");
  }

  private static final class BookRec {
    LogBook book; // without flows
    final Set<String> flowUuids = new LinkedHashSet<>();

    BookRec(LogBook book) {
      this.book = book;
    }
  }

  private static final class FlowRec {
    FlowDetail flow; // without atoms
    final String bookUuid;
    // in insertion order; an atom detail never moves to another flow detail (WriteRules)
    final List<AtomRec> atoms;

    FlowRec(FlowDetail flow, String bookUuid, int expectedAtoms) {
      this.flow = flow;
      this.bookUuid = bookUuid;
      this.atoms = new ArrayList<>(Math.max(expectedAtoms, 10));
    }

    /** Drops this flow's atoms from {@code byUuid}. */
    void removeAtomsFrom(Map<String, AtomRec> byUuid) {
      for (AtomRec ar : atoms) {
        byUuid.remove(ar.atom.uuid());
      }
    }
  }

  private static final class AtomRec {
    AtomDetail atom;
    final String flowUuid;

    AtomRec(AtomDetail atom, String flowUuid) {
      this.atom = atom;
      this.flowUuid = flowUuid;
    }
  }

  @Override
  public BackendConf conf() {
    return conf;
  }

  @Override
  public Connection getConnection() {
    ensureOpen();
    return new MemoryConnection();
  }

  @Override
  public void close() {
    closed = true;
  }

  private void ensureOpen() {
    if (closed) {
      throw new StorageException("the memory backend is closed; fetch a new one");
    }
  }

  @Override
  public String toString() {
    return "MemoryBackend{" + conf + '}';
  }

  /** Drops the live exceptions of failures, as a durable store would. */
  static AtomDetail stored(AtomDetail ad, long revision) {
    AtomDetail out = ad.withRevision(revision);
    if (out.failure() != null) {
      out = out.withFailure(out.failure().withoutException());
    }
    if (out.revertFailure() != null) {
      out = out.withRevertFailure(out.revertFailure().withoutException());
    }
    if (out instanceof RetryDetail rd && hasLiveFailures(rd)) {
      List<RetryDetail.Attempt> h = new ArrayList<>(rd.history().size());
      for (RetryDetail.Attempt a : rd.history()) {
        Map<String, Failure> fs = new LinkedHashMap<>();
        a.failures().forEach((k, v) -> fs.put(k, v.withoutException()));
        h.add(new RetryDetail.Attempt(a.value(), fs));
      }
      out = rd.withHistory(h);
    }
    return out;
  }

  /**
   * What a write of {@code written} answers, {@code kept} being its stored copy: that copy when it
   * dropped no live exception the caller should keep, else the caller's detail at the stored
   * revision.
   */
  static AtomDetail answer(AtomDetail written, AtomDetail kept) {
    return kept.failure() == written.failure()
            && kept.revertFailure() == written.revertFailure()
            && !(written instanceof RetryDetail)
        ? kept
        : written.withRevision(kept.revision());
  }

  private static boolean hasLiveFailures(RetryDetail rd) {
    for (RetryDetail.Attempt a : rd.history()) {
      for (Failure f : a.failures().values()) {
        if (f.exception().isPresent()) {
          return true;
        }
      }
    }
    return false;
  }

  private final class MemoryConnection implements Connection {

    @Override
    public Backend backend() {
      return MemoryBackend.this;
    }

    @Override
    public void upgrade() {
      ensureOpen();
    }

    @Override
    public void validate() {
      ensureOpen();
    }

    @Override
    public void clearAll() {
      ensureOpen();
      lock.writeLock().lock();
      try {
        books.clear();
        flows.clear();
        atoms.clear();
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public LogBook saveLogBook(LogBook book) {
      return save(book, false);
    }

    /** Saves a book; {@code givenTimes}: flows keep the times they carry (a replacement). */
    private LogBook save(LogBook book, boolean givenTimes) {
      Objects.requireNonNull(book, "book");
      ensureOpen();
      lock.writeLock().lock();
      try {
        // Check everything before changing anything: a conflict stores nothing.
        WriteRules.checkBook(book, this::storedFlow, this::storedAtom);
        BookRec rec = books.get(book.uuid());
        LogBook bare =
            WriteRules.savedBook(book, rec == null ? null : rec.book.createdAt(), List.of());
        if (rec == null) {
          rec = new BookRec(bare);
          books.put(book.uuid(), rec);
        } else {
          rec.book = bare;
        }
        List<FlowDetail> written = new ArrayList<>(book.flows().size());
        Instant now = Instant.now();
        for (FlowDetail fd : book.flows()) {
          written.add(writeFlow(fd, book.uuid(), now, givenTimes));
          rec.flowUuids.add(fd.uuid());
        }
        return bare.withFlows(written);
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public LogBook replaceLogBook(LogBook book) {
      Objects.requireNonNull(book, "book");
      ensureOpen();
      checkStorable(book);
      lock.writeLock().lock();
      try {
        if (books.containsKey(book.uuid())) {
          // Check before changing anything: a detail of another book stores nothing.
          for (FlowDetail fd : book.flows()) {
            checkNotOfAnotherBook(fd, book.uuid());
          }
          destroyLogBook(book.uuid());
        }
        return save(book, true);
      } finally {
        lock.writeLock().unlock();
      }
    }

    /** Refuses a flow detail, or an atom detail of it, that another book holds (lock held). */
    private void checkNotOfAnotherBook(FlowDetail fd, String bookUuid) {
      FlowRec fr = flows.get(fd.uuid());
      if (fr != null) {
        WriteRules.checkOwner(Kind.FLOW, fd.uuid(), fr.bookUuid, bookUuid);
      }
      for (AtomDetail ad : fd.atoms()) {
        AtomRec ar = atoms.get(ad.uuid());
        FlowRec owner = ar == null ? null : flows.get(ar.flowUuid);
        if (owner != null && !owner.bookUuid.equals(bookUuid)) {
          throw WriteRules.alreadyBelongs(
              Kind.ATOM,
              ad.uuid(),
              WriteRules.named(Kind.FLOW, ar.flowUuid)
                  + " of "
                  + WriteRules.named(Kind.LOGBOOK, owner.bookUuid),
              "'" + fd.uuid() + "'");
        }
      }
    }

    private Stored storedFlow(String uuid) {
      FlowRec fr = flows.get(uuid);
      return fr == null ? null : new Stored(fr.bookUuid, fr.flow.revision(), null);
    }

    private Stored storedAtom(String uuid) {
      AtomRec ar = atoms.get(uuid);
      return ar == null ? null : new Stored(ar.flowUuid, ar.atom.revision(), ar.atom.typeName());
    }

    /**
     * Writes a checked flow detail and its atoms (lock held); returns it with new revisions. Its
     * times: those it carries when {@code givenTimes} (and it carries them), else created when
     * first written and updated {@code now}.
     */
    private FlowDetail writeFlow(FlowDetail fd, String bookUuid, Instant now, boolean givenTimes) {
      FlowRec fr = flows.get(fd.uuid());
      long rev = fr == null ? 1 : fr.flow.revision() + 1;
      Instant created = fr == null ? now : fr.flow.createdAt();
      Instant updated = now;
      if (givenTimes && fd.updatedAt() != null) {
        created = fd.createdAt();
        updated = fd.updatedAt();
      }
      FlowDetail bare = fd.withoutAtoms().withRevision(rev).withTimes(created, updated);
      if (fr == null) {
        fr = new FlowRec(bare, bookUuid, fd.size());
        flows.put(fd.uuid(), fr);
      } else {
        fr.flow = bare;
      }
      if (atoms.size() < fd.size()) {
        // Grown once to hold a large flow instead of rehashing every entry several times.
        Map<String, AtomRec> bigger = new HashMap<>(Capacity.forEntries(atoms.size() + fd.size()));
        bigger.putAll(atoms);
        atoms = bigger;
      }
      List<AtomDetail> written = new ArrayList<>(fd.size());
      for (AtomDetail ad : fd.atoms()) {
        AtomRec ar = atoms.get(ad.uuid());
        AtomDetail out;
        if (ar == null) {
          out = stored(ad, 1);
          ar = new AtomRec(out, fd.uuid());
          atoms.put(ad.uuid(), ar);
          fr.atoms.add(ar);
        } else {
          out = stored(ad, ar.atom.revision() + 1);
          ar.atom = out;
        }
        written.add(answer(ad, out));
      }
      return fd.withAtoms(written).withRevision(rev).withTimes(created, updated);
    }

    @Override
    public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
      Objects.requireNonNull(flowDetail, "flowDetail");
      ensureOpen();
      lock.writeLock().lock();
      try {
        FlowRec fr = flows.get(flowDetail.uuid());
        if (fr == null) {
          throw new NotFoundException(
              "Flow detail '"
                  + flowDetail.uuid()
                  + "' not found; save it through its logbook first");
        }
        WriteRules.checkFlow(flowDetail, null, storedFlow(flowDetail.uuid()), this::storedAtom);
        return writeFlow(flowDetail, fr.bookUuid, Instant.now(), false);
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
      Objects.requireNonNull(atomDetail, "atomDetail");
      ensureOpen();
      lock.writeLock().lock();
      try {
        AtomRec ar = atoms.get(atomDetail.uuid());
        if (ar == null) {
          throw new NotFoundException(
              "Atom detail '"
                  + atomDetail.uuid()
                  + "' not found; save it through its flow detail first");
        }
        WriteRules.checkType(atomDetail.uuid(), ar.atom.typeName(), atomDetail.typeName());
        WriteRules.checkRevision(
            Kind.ATOM, atomDetail.uuid(), atomDetail.revision(), ar.atom.revision());
        AtomDetail kept = stored(atomDetail, ar.atom.revision() + 1);
        ar.atom = kept;
        return answer(atomDetail, kept);
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public void destroyLogBook(String bookUuid) {
      ensureOpen();
      lock.writeLock().lock();
      try {
        BookRec br = books.remove(bookUuid);
        if (br == null) {
          throw new NotFoundException("Logbook '" + bookUuid + "' not found");
        }
        for (String fu : br.flowUuids) {
          FlowRec fr = flows.remove(fu);
          if (fr != null) {
            fr.removeAtomsFrom(atoms);
          }
        }
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public LogBook getLogBook(String bookUuid, boolean lazy) {
      ensureOpen();
      lock.readLock().lock();
      try {
        BookRec br = books.get(bookUuid);
        if (br == null) {
          throw new NotFoundException("Logbook '" + bookUuid + "' not found");
        }
        return assemble(br, lazy);
      } finally {
        lock.readLock().unlock();
      }
    }

    private LogBook assemble(BookRec br, boolean lazy) {
      if (lazy) {
        return br.book;
      }
      List<FlowDetail> fds = new ArrayList<>(br.flowUuids.size());
      for (String fu : br.flowUuids) {
        fds.add(assemble(flows.get(fu), false));
      }
      return br.book.withFlows(fds);
    }

    private FlowDetail assemble(FlowRec fr, boolean lazy) {
      if (lazy) {
        return fr.flow;
      }
      List<AtomDetail> ads = new ArrayList<>(fr.atoms.size());
      for (AtomRec ar : fr.atoms) {
        ads.add(ar.atom);
      }
      return fr.flow.withAtoms(ads);
    }

    @Override
    public List<LogBook> getLogBooks(boolean lazy) {
      ensureOpen();
      lock.readLock().lock();
      try {
        List<LogBook> out = new ArrayList<>(books.size());
        for (BookRec br : books.values()) {
          out.add(assemble(br, lazy));
        }
        return out;
      } finally {
        lock.readLock().unlock();
      }
    }

    /**
     * Copies the uuids of the books under the read lock, then assembles one book at a time under it
     * and hands it over outside it: holds one uuid per book and one book at a time, and a consumer
     * may write. Nothing here can be damaged, so {@code damaged} is never called.
     */
    @Override
    public void forEachLogBook(
        boolean lazy,
        Consumer<? super LogBook> out,
        Consumer<? super CorruptRecordException> damaged) {
      Objects.requireNonNull(out, "books");
      Objects.requireNonNull(damaged, "damaged");
      ensureOpen();
      List<String> uuids;
      lock.readLock().lock();
      try {
        uuids = new ArrayList<>(books.keySet());
      } finally {
        lock.readLock().unlock();
      }
      for (String uuid : uuids) {
        LogBook book;
        lock.readLock().lock();
        try {
          BookRec br = books.get(uuid);
          book = br == null ? null : assemble(br, lazy); // null: deleted meanwhile
        } finally {
          lock.readLock().unlock();
        }
        if (book != null) {
          out.accept(book);
        }
      }
    }

    /**
     * A pass over the flow records; atom details are counted only for the flows of the page.
     * Nothing here can be damaged.
     */
    @Override
    public FlowPage findFlows(FlowQuery query, Consumer<? super CorruptRecordException> damaged) {
      Objects.requireNonNull(query, "query");
      ensureOpen();
      FlowPageCollector page = new FlowPageCollector(query);
      lock.readLock().lock();
      try {
        for (FlowRec fr : flows.values()) {
          page.offer(summary(fr, false));
        }
        return page.page(f -> summary(flows.get(f.flowUuid()), true));
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public Map<FlowState, Long> countFlows(FlowQuery query) {
      Objects.requireNonNull(query, "query");
      ensureOpen();
      Map<FlowState, Long> counts = new EnumMap<>(FlowState.class);
      lock.readLock().lock();
      try {
        for (FlowRec fr : flows.values()) {
          FlowSummary f = summary(fr, false);
          if (query.matches(f)) {
            counts.merge(f.state(), 1L, Long::sum);
          }
        }
        return counts;
      } finally {
        lock.readLock().unlock();
      }
    }

    /** The summary of a flow (lock held); {@code counted}: with its atoms counted by state. */
    private FlowSummary summary(FlowRec fr, boolean counted) {
      Map<AtomState, Integer> counts = new EnumMap<>(AtomState.class);
      if (counted) {
        for (AtomRec ar : fr.atoms) {
          counts.merge(ar.atom.state(), 1, Integer::sum);
        }
      }
      BookRec br = books.get(fr.bookUuid);
      return new FlowSummary(
          fr.bookUuid,
          br == null ? null : br.book.name(),
          fr.flow.uuid(),
          fr.flow.name(),
          fr.flow.state(),
          fr.flow.createdAt(),
          fr.flow.updatedAt(),
          fr.flow.revision(),
          counts);
    }

    @Override
    public void destroyFlowDetail(String flowUuid, long revision) {
      Objects.requireNonNull(flowUuid, "flowUuid");
      ensureOpen();
      lock.writeLock().lock();
      try {
        FlowRec fr = flows.get(flowUuid);
        if (fr == null) {
          throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
        }
        if (revision > 0) {
          WriteRules.checkRevision(Kind.FLOW, flowUuid, revision, fr.flow.revision());
        }
        flows.remove(flowUuid);
        fr.removeAtomsFrom(atoms);
        BookRec br = books.get(fr.bookUuid);
        if (br != null) {
          br.flowUuids.remove(flowUuid);
        }
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public boolean destroyLogBookIfEmpty(String bookUuid) {
      Objects.requireNonNull(bookUuid, "bookUuid");
      ensureOpen();
      lock.writeLock().lock();
      try {
        BookRec br = books.get(bookUuid);
        if (br == null || !br.flowUuids.isEmpty()) {
          return false;
        }
        books.remove(bookUuid);
        return true;
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public List<FlowDetail> getFlowsForBook(String bookUuid) {
      ensureOpen();
      lock.readLock().lock();
      try {
        BookRec br = books.get(bookUuid);
        if (br == null) {
          throw new NotFoundException("Logbook '" + bookUuid + "' not found");
        }
        return assemble(br, false).flows();
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
      ensureOpen();
      lock.readLock().lock();
      try {
        FlowRec fr = flows.get(flowUuid);
        if (fr == null) {
          throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
        }
        return assemble(fr, lazy);
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public AtomDetail getAtomDetails(String atomUuid) {
      ensureOpen();
      lock.readLock().lock();
      try {
        AtomRec ar = atoms.get(atomUuid);
        if (ar == null) {
          throw new NotFoundException("Atom detail '" + atomUuid + "' not found");
        }
        return ar.atom;
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public List<AtomDetail> getAtomsForFlow(String flowUuid) {
      return getFlowDetails(flowUuid, false).atoms();
    }

    @Override
    public void advanceFence(Fence fence) {
      Objects.requireNonNull(fence, "fence");
      ensureOpen();
      lock.writeLock().lock();
      try {
        Long stored = fences.get(fence.key());
        if (stored != null && stored > fence.token()) {
          throw FencedException.stale(fence, stored, "fence advance");
        }
        fences.put(fence.key(), fence.token());
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public OptionalLong fenceToken(String key) {
      ensureOpen();
      lock.readLock().lock();
      try {
        Long stored = fences.get(key);
        return stored == null ? OptionalLong.empty() : OptionalLong.of(stored);
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public Connection fenced(Fence fence) {
      Objects.requireNonNull(fence, "fence");
      return new FencedConnection(this, fence);
    }

    @Override
    public void close() {
      // Nothing held per connection.
    }
  }

  /** Every write runs under the store's write lock after checking the fence. */
  private final class FencedConnection extends ForwardingConnection {
    private final Fence fence;

    FencedConnection(Connection delegate, Fence fence) {
      super(delegate);
      this.fence = fence;
    }

    private <T> T checked(String what, Supplier<T> write) {
      ensureOpen();
      lock.writeLock().lock();
      try {
        Long stored = fences.get(fence.key());
        if (stored == null || stored != fence.token()) {
          throw FencedException.stale(fence, stored, what);
        }
        return write.get();
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public void clearAll() {
      checked(
          "clear all",
          () -> {
            super.clearAll();
            return null;
          });
    }

    @Override
    public LogBook saveLogBook(LogBook book) {
      return checked("logbook '" + book.uuid() + "'", () -> super.saveLogBook(book));
    }

    @Override
    public LogBook replaceLogBook(LogBook book) {
      return checked("logbook '" + book.uuid() + "' (replace)", () -> super.replaceLogBook(book));
    }

    @Override
    public FlowDetail updateFlowDetails(FlowDetail fd) {
      return checked("flow detail '" + fd.uuid() + "'", () -> super.updateFlowDetails(fd));
    }

    @Override
    public AtomDetail updateAtomDetails(AtomDetail ad) {
      return checked("atom detail '" + ad.uuid() + "'", () -> super.updateAtomDetails(ad));
    }

    @Override
    public void destroyLogBook(String bookUuid) {
      checked(
          "logbook '" + bookUuid + "' (destroy)",
          () -> {
            super.destroyLogBook(bookUuid);
            return null;
          });
    }

    @Override
    public void destroyFlowDetail(String flowUuid, long revision) {
      checked(
          "flow detail '" + flowUuid + "' (destroy)",
          () -> {
            super.destroyFlowDetail(flowUuid, revision);
            return null;
          });
    }

    @Override
    public boolean destroyLogBookIfEmpty(String bookUuid) {
      return checked(
          "logbook '" + bookUuid + "' (destroy if empty)",
          () -> super.destroyLogBookIfEmpty(bookUuid));
    }

    @Override
    public Connection fenced(Fence other) {
      return delegate().fenced(other);
    }

    @Override
    public void close() {
      // the view holds nothing; the connection it wraps stays open
    }
  }
}
