package io.taskflow4j.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine example of the README, kept compiling and true. */
class EngineReadmeExampleTest {

  /** The stock service of the example. */
  static final class Stock {
    static final Set<String> HELD = ConcurrentHashMap.newKeySet();
    static final AtomicInteger RESERVATIONS = new AtomicInteger();

    static String reserve(String sku) {
      String r = "reservation-" + sku;
      HELD.add(r);
      RESERVATIONS.incrementAndGet();
      return r;
    }

    static void release(String reservation) {
      HELD.remove(reservation);
    }
  }

  /** The payment service of the example; refuses while {@link #down}. */
  static final class Payments {
    static volatile boolean down;
    static volatile int slowMillis;
    static final AtomicInteger CHARGES = new AtomicInteger();

    static String charge(String reservation) {
      if (down) {
        throw new IllegalStateException("payment service down");
      }
      if (slowMillis > 0) {
        try {
          Thread.sleep(slowMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
      CHARGES.incrementAndGet();
      return "receipt-" + reservation;
    }
  }

  /** As in the README. */
  public static final class Checkout implements FlowFactory {
    static final class Reserve extends Task {
      Reserve() {
        super("reserve");
        requires("sku", String.class);
        provides("reservation");
      }

      @Override
      public Object execute(Arguments args) {
        return Stock.reserve(args.get("sku", String.class));
      }

      @Override
      public Object revert(Arguments args, Object result, Map<String, Failure> failures) {
        if (result instanceof String reservation) {
          Stock.release(reservation);
        }
        return null;
      }
    }

    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      return LinearFlow.of("checkout")
          .add(
              new Reserve(),
              Task.of("charge", String.class, r -> Payments.charge(r))
                  .requires("reservation")
                  .provides("receipt"));
    }
  }

  @Test
  void aFlowStoppedMidRunIsFinishedByTheResumeLoopWithoutRedoingDoneTasks(@TempDir Path dir) {
    String connection = "dir://" + dir.toAbsolutePath();
    Stock.RESERVATIONS.set(0);
    Payments.CHARGES.set(0);
    // The first process stops after 'reserve' (as a crash would, minus the dying).
    checkoutStoppedAfterReserve(connection, "A-42");
    assertThat(Payments.CHARGES).hasValue(0);

    // The README's resume loop, in "a new process".
    resumeLoop(connection);
    try (Backend backend = Backends.open(connection);
        Connection conn = backend.getConnection()) {
      FlowDetail flow = conn.getLogBooks().get(0).flows().get(0);
      assertThat(flow.state()).isEqualTo(FlowState.SUCCESS);
      assertThat(flow.findByName("charge").orElseThrow().lastResults())
          .isEqualTo("receipt-reservation-A-42");
    }
    assertThat(Stock.RESERVATIONS).hasValue(1); // done once, not redone on resume
    assertThat(Payments.CHARGES).hasValue(1);
  }

  /** A checkout of {@code sku} whose process stopped after 'reserve', as a crash would. */
  private static void checkoutStoppedAfterReserve(String connection, String sku) {
    try (Backend backend = Backends.open(connection);
        Engine engine =
            Engines.loadFromFactory(Checkout.class, List.of(), Map.of())
                .backend(backend)
                .store(Map.of("sku", sku))
                .build()) {
      engine.onAtomEvent(
          e -> {
            if (e.atomName().equals("reserve") && e.state() == AtomState.SUCCESS) {
              engine.suspend();
            }
          });
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
    }
  }

  /** The README's resume loop, as it is written there. */
  private static void resumeLoop(String connection) {
    try (Backend backend = Backends.open(connection);
        Connection conn = backend.getConnection()) {
      for (LogBook book : conn.getLogBooks()) {
        for (FlowDetail flow : book.flows()) {
          if (!flow.state().isFinished()) {
            try {
              Engines.loadFromDetail(flow).backend(backend).exclusive().run();
            } catch (FencedException takenOver) {
              // another process resumed this flow after us, and runs it now
            }
          }
        }
      }
    }
  }

  @Test
  void twoReplicasRunningTheResumeLoopAtOnceFinishEveryFlow(@TempDir Path dir) throws Exception {
    String connection = "dir://" + dir.toAbsolutePath();
    Stock.RESERVATIONS.set(0);
    Payments.CHARGES.set(0);
    int flows = 6;
    for (int i = 0; i < flows; i++) {
      checkoutStoppedAfterReserve(connection, "S-" + i);
    }
    // each charge takes a while, so the two replicas meet on the same flows
    Payments.slowMillis = 150;
    java.util.concurrent.ExecutorService replicas =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.Future<?> a = replicas.submit(() -> resumeLoop(connection));
      java.util.concurrent.Future<?> b = replicas.submit(() -> resumeLoop(connection));
      a.get(2, java.util.concurrent.TimeUnit.MINUTES);
      b.get(2, java.util.concurrent.TimeUnit.MINUTES);
    } finally {
      replicas.shutdownNow();
      Payments.slowMillis = 0;
    }
    try (Backend backend = Backends.open(connection);
        Connection conn = backend.getConnection()) {
      int done = 0;
      for (LogBook book : conn.getLogBooks()) {
        for (FlowDetail flow : book.flows()) {
          assertThat(flow.state()).as(flow.uuid()).isEqualTo(FlowState.SUCCESS);
          done++;
        }
      }
      assertThat(done).isEqualTo(flows);
    }
    // each flow's charge ran at least once, twice at most (the task in flight when taken over)
    assertThat(Payments.CHARGES.get()).isBetween(flows, 2 * flows);
    assertThat(Stock.RESERVATIONS).hasValue(flows); // recorded before the loop: never redone
  }

  @Test
  void aFailedChargeReleasesTheReservation(@TempDir Path dir) {
    Stock.HELD.clear();
    Payments.down = true;
    try (Backend backend = Backends.open("dir://" + dir.toAbsolutePath())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  Engines.loadFromFactory(Checkout.class, List.of(), Map.of())
                      .backend(backend)
                      .store(Map.of("sku", "B-7"))
                      .run())
          .hasMessage("payment service down");
    } finally {
      Payments.down = false;
    }
    assertThat(Stock.HELD).isEmpty();
  }
}
