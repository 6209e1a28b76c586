package io.taskflow4j.engine;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.util.concurrent.atomic.AtomicInteger;

/** A connection that counts the writes it passes on. */
final class CountingConnection extends ForwardingConnection {
  final AtomicInteger atomWrites = new AtomicInteger();
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
    return super.updateFlowDetails(flowDetail);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    atomWrites.incrementAndGet();
    return super.updateAtomDetails(atomDetail);
  }
}
