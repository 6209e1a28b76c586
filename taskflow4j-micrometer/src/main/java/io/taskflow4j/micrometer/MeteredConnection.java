package io.taskflow4j.micrometer;

import io.taskflow4j.micrometer.StoreMeters.Op;
import io.taskflow4j.micrometer.StoreMeters.Outcome;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Times every write of a connection (see {@link MeteredBackend}); reads pass through. */
final class MeteredConnection extends ForwardingConnection {
  private final StoreMeters meters;

  MeteredConnection(Connection delegate, StoreMeters meters) {
    super(delegate);
    this.meters = meters;
  }

  private <T> T timed(Op op, Supplier<T> write) {
    long t0 = System.nanoTime();
    T out;
    try {
      out = write.get();
    } catch (RuntimeException e) {
      meters.record(op, Outcome.of(e), t0);
      throw e;
    }
    meters.record(op, Outcome.SUCCESS, t0);
    return out;
  }

  private void timedRun(Op op, Runnable write) {
    long t0 = System.nanoTime();
    try {
      write.run();
    } catch (RuntimeException e) {
      meters.record(op, Outcome.of(e), t0);
      throw e;
    }
    meters.record(op, Outcome.SUCCESS, t0);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    // The engine's hottest write: no lambda, no capture.
    long t0 = System.nanoTime();
    AtomDetail out;
    try {
      out = delegate().updateAtomDetails(atomDetail);
    } catch (RuntimeException e) {
      meters.record(Op.UPDATE_ATOM, Outcome.of(e), t0);
      throw e;
    }
    meters.record(Op.UPDATE_ATOM, Outcome.SUCCESS, t0);
    return out;
  }

  /**
   * Atom details written together (a serial engine's result with the next atom's RUNNING marker):
   * one commit, timed as one {@code update_atoms} write. Where the delegate cannot write them
   * together it would write them one by one anyway, so each is timed as the {@code update_atom} it
   * is: a sample of either operation is always one commit.
   */
  @Override
  public List<AtomDetail> updateAtomDetails(List<AtomDetail> atomDetails) {
    if (!delegate().updatesAtomsTogether()) {
      List<AtomDetail> out = new ArrayList<>(atomDetails.size());
      for (AtomDetail ad : atomDetails) {
        out.add(updateAtomDetails(ad));
      }
      return out;
    }
    long t0 = System.nanoTime();
    List<AtomDetail> out;
    try {
      out = delegate().updateAtomDetails(atomDetails);
    } catch (RuntimeException e) {
      meters.record(Op.UPDATE_ATOMS, Outcome.of(e), t0);
      throw e;
    }
    meters.record(Op.UPDATE_ATOMS, Outcome.SUCCESS, t0);
    return out;
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
    long t0 = System.nanoTime();
    FlowDetail out;
    try {
      out = delegate().updateFlowDetails(flowDetail);
    } catch (RuntimeException e) {
      meters.record(Op.UPDATE_FLOW, Outcome.of(e), t0);
      throw e;
    }
    meters.record(Op.UPDATE_FLOW, Outcome.SUCCESS, t0);
    return out;
  }

  @Override
  public LogBook saveLogBook(LogBook book) {
    return timed(Op.SAVE_LOGBOOK, () -> delegate().saveLogBook(book));
  }

  @Override
  public LogBook replaceLogBook(LogBook book) {
    return timed(Op.REPLACE_LOGBOOK, () -> delegate().replaceLogBook(book));
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    timedRun(Op.DESTROY_LOGBOOK, () -> delegate().destroyLogBook(bookUuid));
  }

  @Override
  public boolean destroyLogBookIfEmpty(String bookUuid) {
    return timed(Op.DESTROY_LOGBOOK_IF_EMPTY, () -> delegate().destroyLogBookIfEmpty(bookUuid));
  }

  @Override
  public void destroyFlowDetail(String flowUuid, long revision) {
    timedRun(Op.DESTROY_FLOW, () -> delegate().destroyFlowDetail(flowUuid, revision));
  }

  /** Forwarded as one batch (the backend's own, e.g. one SQL transaction), timed as one write. */
  @Override
  public Set<String> destroyFlowDetails(Map<String, Long> revisions) {
    return timed(Op.DESTROY_FLOWS, () -> delegate().destroyFlowDetails(revisions));
  }

  @Override
  public void clearAll() {
    timedRun(Op.CLEAR_ALL, () -> delegate().clearAll());
  }

  @Override
  public void advanceFence(Fence fence) {
    timedRun(Op.ADVANCE_FENCE, () -> delegate().advanceFence(fence));
  }

  /** The delegate's fenced view, timed as well: a conductor's jobs write through such views. */
  @Override
  public Connection fenced(Fence fence) {
    return new MeteredConnection(delegate().fenced(fence), meters);
  }

  /** As {@link #fenced(Fence)}, with the store's work on the flow's final state passed on. */
  @Override
  public Connection fenced(Fence fence, io.taskflow4j.persistence.spi.FinalStateWork onFinalState) {
    return new MeteredConnection(delegate().fenced(fence, onFinalState), meters);
  }
}
