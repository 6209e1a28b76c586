package io.taskflow4j.persistence.spi;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.UpgradeResult;
import java.util.List;
import java.util.Objects;

/**
 * A {@link Connection} that passes every call to another one. Extend it to decorate a connection
 * (count or time calls, inject faults, check a fencing token) by overriding only what changes.
 */
public abstract class ForwardingConnection implements Connection {
  private final Connection delegate;

  /** Forwards to {@code delegate}. */
  protected ForwardingConnection(Connection delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The connection calls are passed to. */
  protected final Connection delegate() {
    return delegate;
  }

  @Override
  public Backend backend() {
    return delegate.backend();
  }

  @Override
  public void upgrade() {
    delegate.upgrade();
  }

  @Override
  public UpgradeResult upgradeWithResult() {
    return delegate.upgradeWithResult();
  }

  @Override
  public void validate() {
    delegate.validate();
  }

  @Override
  public void clearAll() {
    delegate.clearAll();
  }

  @Override
  public LogBook saveLogBook(LogBook book) {
    return delegate.saveLogBook(book);
  }

  @Override
  public LogBook replaceLogBook(LogBook book) {
    return delegate.replaceLogBook(book);
  }

  @Override
  public io.taskflow4j.persistence.StoreLimits limits() {
    return delegate.limits();
  }

  @Override
  public void checkStorable(LogBook book) {
    delegate.checkStorable(book);
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
    return delegate.updateFlowDetails(flowDetail);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    return delegate.updateAtomDetails(atomDetail);
  }

  @Override
  public java.util.List<AtomDetail> updateAtomDetails(java.util.List<AtomDetail> atomDetails) {
    return delegate.updateAtomDetails(atomDetails);
  }

  @Override
  public boolean updatesAtomsTogether() {
    return delegate.updatesAtomsTogether();
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    delegate.destroyLogBook(bookUuid);
  }

  @Override
  public LogBook getLogBook(String bookUuid, boolean lazy) {
    return delegate.getLogBook(bookUuid, lazy);
  }

  @Override
  public List<LogBook> getLogBooks(boolean lazy) {
    return delegate.getLogBooks(lazy);
  }

  @Override
  public void forEachLogBook(
      boolean lazy,
      java.util.function.Consumer<? super LogBook> books,
      java.util.function.Consumer<? super io.taskflow4j.persistence.CorruptRecordException>
          damaged) {
    delegate.forEachLogBook(lazy, books, damaged);
  }

  @Override
  public List<FlowDetail> getFlowsForBook(String bookUuid) {
    return delegate.getFlowsForBook(bookUuid);
  }

  @Override
  public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    return delegate.getFlowDetails(flowUuid, lazy);
  }

  @Override
  public AtomDetail getAtomDetails(String atomUuid) {
    return delegate.getAtomDetails(atomUuid);
  }

  @Override
  public List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return delegate.getAtomsForFlow(flowUuid);
  }

  @Override
  public io.taskflow4j.persistence.FlowPage findFlows(
      io.taskflow4j.persistence.FlowQuery query,
      java.util.function.Consumer<? super io.taskflow4j.persistence.CorruptRecordException>
          damaged) {
    return delegate.findFlows(query, damaged);
  }

  @Override
  public java.util.Map<io.taskflow4j.persistence.FlowState, Long> countFlows(
      io.taskflow4j.persistence.FlowQuery query) {
    return delegate.countFlows(query);
  }

  /**
   * Forwards; a decorator that checks writes (a fencing view) must override this and {@link
   * #destroyLogBookIfEmpty} as well as the other writes.
   */
  @Override
  public void destroyFlowDetail(String flowUuid, long revision) {
    delegate.destroyFlowDetail(flowUuid, revision);
  }

  @Override
  public boolean destroyLogBookIfEmpty(String bookUuid) {
    return delegate.destroyLogBookIfEmpty(bookUuid);
  }

  @Override
  public void advanceFence(io.taskflow4j.persistence.Fence fence) {
    delegate.advanceFence(fence);
  }

  /**
   * The delegate's answer: a decoration writes through it, so whoever retries the delegate's
   * transient errors retries the decorated writes. A decoration that injects failures of its own,
   * which the delegate would never see, overrides this with {@code false} to have {@code Storage}
   * retry them.
   */
  @Override
  public boolean retriesTransientErrors() {
    return delegate.retriesTransientErrors();
  }

  /** The delegate's fenced view: decorations of this class do not apply to it. */
  @Override
  public Connection fenced(io.taskflow4j.persistence.Fence fence) {
    return delegate.fenced(fence);
  }

  /**
   * The delegate's fenced view with {@code onFinalState}: decorations of this class do not apply.
   */
  @Override
  public Connection fenced(io.taskflow4j.persistence.Fence fence, FinalStateWork onFinalState) {
    return delegate.fenced(fence, onFinalState);
  }

  @Override
  public java.util.OptionalLong fenceToken(String key) {
    return delegate.fenceToken(key);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
