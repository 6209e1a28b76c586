package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StoreLimits;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * A connection of a {@link DirBackend}: holds nothing of its own, every call goes to the store. A
 * fenced view carries its {@link Fence}, checked by each write under the store's write lock.
 */
final class DirConnection implements Connection {
  private final DirBackend backend;
  private final DirStore store;
  private final Fence fence; // null: writes are not fenced

  DirConnection(DirBackend backend, DirStore store) {
    this(backend, store, null);
  }

  private DirConnection(DirBackend backend, DirStore store, Fence fence) {
    this.backend = backend;
    this.store = store;
    this.fence = fence;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  @Override
  public void upgrade() {
    store.upgrade();
  }

  @Override
  public void validate() {
    store.validate();
  }

  @Override
  public void clearAll() {
    store.clearAll(fence);
  }

  @Override
  public LogBook saveLogBook(LogBook book) {
    return store.saveLogBook(book, fence);
  }

  @Override
  public LogBook replaceLogBook(LogBook book) {
    checkStorable(book);
    return store.replaceLogBook(book, fence);
  }

  /** Uuids name files and directories: at most 200 bytes of UTF-8 (see {@link DirStore}). */
  @Override
  public StoreLimits limits() {
    return StoreLimits.builder("a directory store")
        .maxUuidBytes(DirStore.MAX_ID_BYTES, "uuids name files and directories")
        .build();
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
    return store.updateFlowDetails(flowDetail, fence);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    return store.updateAtomDetails(atomDetail, fence);
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    store.destroyLogBook(bookUuid, fence);
  }

  @Override
  public LogBook getLogBook(String bookUuid, boolean lazy) {
    return store.getLogBook(bookUuid, lazy);
  }

  @Override
  public List<LogBook> getLogBooks(boolean lazy) {
    return store.getLogBooks(lazy);
  }

  /**
   * Holds one key per book (its uuid, creation time and position, to sort them oldest first) and
   * one book at a time: see {@link DirStore#forEachLogBook}.
   */
  @Override
  public void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    Objects.requireNonNull(books, "books");
    Objects.requireNonNull(damaged, "damaged");
    store.forEachLogBook(lazy, books, damaged);
  }

  /**
   * A scan of every flow record, without a lock and holding at most one page: see {@link
   * DirStore}'s "Flow listings".
   */
  @Override
  public FlowPage findFlows(FlowQuery query, Consumer<? super CorruptRecordException> damaged) {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(damaged, "damaged");
    return store.findFlows(query, damaged);
  }

  /** The scan of {@link #findFlows}, reading no atom record. */
  @Override
  public Map<FlowState, Long> countFlows(FlowQuery query) {
    Objects.requireNonNull(query, "query");
    return store.countFlows(query);
  }

  /** Under the store lock, checking this view's fence like every write. */
  @Override
  public void destroyFlowDetail(String flowUuid, long revision) {
    Objects.requireNonNull(flowUuid, "flowUuid");
    store.destroyFlowDetail(flowUuid, revision, fence);
  }

  /** Under the store lock, checking this view's fence like every write. */
  @Override
  public boolean destroyLogBookIfEmpty(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    return store.destroyLogBookIfEmpty(bookUuid, fence);
  }

  @Override
  public List<FlowDetail> getFlowsForBook(String bookUuid) {
    return store.getFlowsForBook(bookUuid);
  }

  @Override
  public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    return store.getFlowDetails(flowUuid, lazy);
  }

  @Override
  public AtomDetail getAtomDetails(String atomUuid) {
    return store.getAtomDetails(atomUuid);
  }

  @Override
  public List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return store.getAtomsForFlow(flowUuid);
  }

  @Override
  public void advanceFence(Fence f) {
    store.advanceFence(f);
  }

  @Override
  public Connection fenced(Fence f) {
    Objects.requireNonNull(f, "fence");
    store.ensureOpen();
    return new DirConnection(backend, store, f);
  }

  @Override
  public OptionalLong fenceToken(String key) {
    Objects.requireNonNull(key, "key");
    store.ensureOpen();
    return store.readFence(key);
  }

  @Override
  public void close() {
    // Nothing is held per connection.
  }
}
