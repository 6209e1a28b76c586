package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A connection that counts the writes it passes to a real one, remembers what they carried, and can
 * be told to fail the next writes.
 */
final class RecordingConnection extends ForwardingConnection {
  final AtomicInteger atomWrites = new AtomicInteger();
  final AtomicInteger flowWrites = new AtomicInteger();
  final AtomicInteger attempts = new AtomicInteger();
  final List<FlowDetail> flowWritten = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile Supplier<RuntimeException> failure;
  private final AtomicInteger lostRepliesLeft = new AtomicInteger();

  RecordingConnection(Connection delegate) {
    super(delegate);
  }

  /** The next {@code times} writes throw what {@code error} makes (before reaching the store). */
  void failNext(int times, Supplier<RuntimeException> error) {
    this.failure = error;
    failuresLeft.set(times);
  }

  /** The next {@code times} writes reach the store, then fail as if the reply was lost. */
  void loseRepliesNext(int times) {
    lostRepliesLeft.set(times);
  }

  private void maybeLoseReply() {
    if (lostRepliesLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
      throw new StorageException("connection reset while reading the reply");
    }
  }

  void resetCounts() {
    atomWrites.set(0);
    flowWrites.set(0);
    attempts.set(0);
    flowWritten.clear();
  }

  private void maybeFail() {
    attempts.incrementAndGet();
    if (failuresLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
      throw failure.get();
    }
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
    maybeFail();
    FlowDetail out = delegate().updateFlowDetails(flowDetail);
    flowWrites.incrementAndGet();
    flowWritten.add(flowDetail);
    maybeLoseReply();
    return out;
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
    maybeFail();
    AtomDetail out = delegate().updateAtomDetails(atomDetail);
    atomWrites.incrementAndGet();
    maybeLoseReply();
    return out;
  }
}
