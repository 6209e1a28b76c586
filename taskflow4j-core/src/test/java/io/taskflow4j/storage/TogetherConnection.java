package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A connection that writes lists of atom details all or none (when told it can) and records every
 * atom and flow-detail write it is asked for, as lists of {@code name:STATE} ({@code flow:STATE}
 * first for a flow detail, then the atoms it carries); it can fail its next list or flow write.
 */
public final class TogetherConnection extends ForwardingConnection {
  public final List<List<String>> writes = Collections.synchronizedList(new ArrayList<>());
  private final boolean together;
  public volatile RuntimeException failNextList;

  /** Thrown, once, by the next flow-detail write (after it is recorded). */
  public volatile RuntimeException failNextFlow;

  public TogetherConnection(Connection delegate, boolean together) {
    super(delegate);
    this.together = together;
  }

  /** The joint atom writes made so far (flow-detail writes not counted). */
  public long jointWrites() {
    synchronized (writes) {
      return writes.stream().filter(w -> w.size() > 1 && !w.get(0).startsWith("flow:")).count();
    }
  }

  /** The writes from the first write of flow state {@code state} (with atoms or not) on. */
  public List<List<String>> writesFrom(String state) {
    synchronized (writes) {
      for (int i = 0; i < writes.size(); i++) {
        if (writes.get(i).get(0).equals("flow:" + state)) {
          return List.copyOf(writes.subList(i, writes.size()));
        }
      }
      return List.of();
    }
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
    List<String> names = new ArrayList<>();
    names.add("flow:" + flowDetail.state());
    for (AtomDetail ad : flowDetail.atoms()) {
      names.add(ad.name() + ":" + ad.state());
    }
    writes.add(names);
    RuntimeException fail = failNextFlow;
    if (fail != null) {
      failNextFlow = null;
      throw fail;
    }
    return delegate().updateFlowDetails(flowDetail);
  }

  @Override
  public boolean updatesAtomsTogether() {
    return together;
  }

  /** A single atom write ({@code name:STATE}) to refuse with {@link #failWith}, once. */
  public volatile String failWriteOf;

  public volatile RuntimeException failWith;

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    String what = atomDetail.name() + ":" + atomDetail.state();
    writes.add(List.of(what));
    if (what.equals(failWriteOf)) {
      failWriteOf = null;
      throw failWith;
    }
    return delegate().updateAtomDetails(atomDetail);
  }

  @Override
  public List<AtomDetail> updateAtomDetails(List<AtomDetail> atomDetails) {
    List<String> names = new ArrayList<>();
    for (AtomDetail ad : atomDetails) {
      names.add(ad.name() + ":" + ad.state());
    }
    writes.add(names);
    RuntimeException fail = failNextList;
    if (fail != null) {
      failNextList = null;
      throw fail;
    }
    for (AtomDetail ad : atomDetails) { // all or none: every revision checked first
      AtomDetail stored = delegate().getAtomDetails(ad.uuid());
      if (stored.revision() != ad.revision()) {
        throw new ConflictException("stale " + ad.name());
      }
    }
    List<AtomDetail> out = new ArrayList<>();
    for (AtomDetail ad : atomDetails) {
      out.add(delegate().updateAtomDetails(ad));
    }
    return out;
  }
}
