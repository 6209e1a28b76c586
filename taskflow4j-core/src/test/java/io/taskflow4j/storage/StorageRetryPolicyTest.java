package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.WriteOutcomeUnknownException;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One retry policy per write: {@code Storage} retries a connection that does not retry itself, and
 * makes each write once through one that does, settling an unknown outcome by one read.
 */
class StorageRetryPolicyTest {
  private Backend backend;
  private Connection memory;
  private final List<Duration> sleeps = new CopyOnWriteArrayList<>();

  @BeforeEach
  void open() {
    backend = Backends.open("memory://");
    memory = backend.getConnection();
  }

  @AfterEach
  void close() {
    memory.close();
    backend.close();
  }

  /** Fails the next atom writes as told, and says whether it retries its own errors. */
  private static final class Failing extends ForwardingConnection {
    final AtomicInteger atomAttempts = new AtomicInteger();
    private final boolean retriesItself;
    private int failuresLeft;
    private boolean storeFirst;
    private StorageException failure;

    Failing(Connection delegate, boolean retriesItself) {
      super(delegate);
      this.retriesItself = retriesItself;
    }

    /** The next {@code times} atom writes throw {@code e}, after storing when {@code stored}. */
    void failNext(int times, StorageException e, boolean stored) {
      failuresLeft = times;
      failure = e;
      storeFirst = stored;
    }

    @Override
    public boolean retriesTransientErrors() {
      return retriesItself;
    }

    @Override
    public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
      atomAttempts.incrementAndGet();
      if (failuresLeft > 0) {
        failuresLeft--;
        if (storeFirst) {
          delegate().updateAtomDetails(atomDetail);
        }
        throw failure;
      }
      return delegate().updateAtomDetails(atomDetail);
    }
  }

  private Storage storage(Connection c) {
    LogBook book = memory.saveLogBook(LogBook.create("book").withFlow(FlowDetail.create("flow")));
    Storage s =
        new Storage(book.flows().get(0), c, StorageOptions.builder().sleeper(sleeps::add).build());
    s.ensureAtom(AtomSpec.task("t"));
    return s;
  }

  @Test
  void aForwardingConnectionAnswersAsTheConnectionItWritesThrough() {
    assertThat(memory.retriesTransientErrors()).isFalse();
    assertThat(new ForwardingConnection(memory) {}.retriesTransientErrors()).isFalse();
    Connection selfRetrying = new Failing(memory, true);
    assertThat(new ForwardingConnection(selfRetrying) {}.retriesTransientErrors()).isTrue();
  }

  @Test
  void aConnectionThatDoesNotRetryItselfGetsStoragesRetries() {
    Failing c = new Failing(memory, false);
    Storage s = storage(c);
    c.failNext(2, new StorageException("busy"), false);

    s.save("t", 1);

    assertThat(c.atomAttempts.get()).isEqualTo(3);
    assertThat(sleeps).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100));
    assertThat(s.getExecuteResult("t")).isEqualTo(1);
  }

  @Test
  void aConnectionThatRetriesItselfGetsEachWriteOnce() {
    Failing c = new Failing(memory, true);
    Storage s = storage(c);
    c.failNext(1, new StorageException("busy after 7 attempts"), false);

    assertThatThrownBy(() -> s.save("t", 1))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("atom detail 't'")
        .hasMessageContaining("after 1 attempt:")
        .hasMessageContaining("busy after 7 attempts");

    assertThat(c.atomAttempts.get()).isEqualTo(1);
    assertThat(sleeps).isEmpty();
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
    s.save("t", 2);
    assertThat(s.getExecuteResult("t")).isEqualTo(2);
  }

  @Test
  void anUnknownOutcomeOfAWriteThatLandedIsSettledByOneRead() {
    Failing c = new Failing(memory, true);
    Storage s = storage(c);
    c.failNext(1, new WriteOutcomeUnknownException("commit lost", null), true);

    s.save("t", 1);

    assertThat(c.atomAttempts.get()).isEqualTo(1);
    assertThat(s.atomDetail("t")).isEqualTo(memory.getAtomDetails(s.getAtomUuid("t")));
    s.setAtomState("t", AtomState.REVERTING); // builds on the recovered revision
    assertThat(memory.getAtomDetails(s.getAtomUuid("t")).state()).isEqualTo(AtomState.REVERTING);
  }

  @Test
  void anUnknownOutcomeOfAWriteThatDidNotLandIsReported() {
    Failing c = new Failing(memory, true);
    Storage s = storage(c);
    c.failNext(1, new WriteOutcomeUnknownException("commit lost", null), false);

    assertThatThrownBy(() -> s.save("t", 1))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("after 1 attempt: commit lost");

    assertThat(c.atomAttempts.get()).isEqualTo(1);
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
  }
}
