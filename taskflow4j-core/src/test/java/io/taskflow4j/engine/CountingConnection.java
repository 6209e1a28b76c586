package io.taskflow4j.engine;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.util.concurrent.atomic.AtomicInteger;

/** A connection that counts the writes it passes on. */
final class CountingConnection extends ForwardingConnection {
  /** Atom details written: alone, together, or carried by a flow-detail write. */
  final AtomicInteger atomWrites = new AtomicInteger();

  /** Writes of atom details (one per call, however many details it carries). */
  final AtomicInteger atomCommits = new AtomicInteger();

  final AtomicInteger flowWrites = new AtomicInteger();
  final AtomicInteger bookWrites = new AtomicInteger();

  CountingConnection(Connection delegate) {
    super(delegate);
  }

  @Override
  public LogBook saveLogBook(LogBook book) {
    bookWrites.incrementAndGet();
    return super.saveLogBook(book);
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
    flowWrites.incrementAndGet();
    for (AtomDetail ad : flowDetail.atoms()) {
      if (ad.revision() > 0) {
        atomWrites.incrementAndGet(); // an update of a stored atom, carried by the flow's write
      }
    }
    return super.updateFlowDetails(flowDetail);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    atomWrites.incrementAndGet();
    atomCommits.incrementAndGet();
    return super.updateAtomDetails(atomDetail);
  }

  @Override
  public java.util.List<AtomDetail> updateAtomDetails(java.util.List<AtomDetail> atomDetails) {
    atomWrites.addAndGet(atomDetails.size());
    atomCommits.incrementAndGet();
    return super.updateAtomDetails(atomDetails);
  }
}
