package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import java.util.List;

/** A connection of a {@link DirBackend}: holds nothing of its own, every call goes to the store. */
final class DirConnection implements Connection {
  private final DirBackend backend;
  private final DirStore store;

  DirConnection(DirBackend backend, DirStore store) {
    this.backend = backend;
    this.store = store;
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
    store.clearAll();
  }

  @Override
  public LogBook saveLogBook(LogBook book) {
    return store.saveLogBook(book);
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
    return store.updateFlowDetails(flowDetail);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    return store.updateAtomDetails(atomDetail);
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    store.destroyLogBook(bookUuid);
  }

  @Override
  public LogBook getLogBook(String bookUuid, boolean lazy) {
    return store.getLogBook(bookUuid, lazy);
  }

  @Override
  public List<LogBook> getLogBooks(boolean lazy) {
    return store.getLogBooks(lazy);
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
  public void close() {
    // Nothing is held per connection.
  }
}
