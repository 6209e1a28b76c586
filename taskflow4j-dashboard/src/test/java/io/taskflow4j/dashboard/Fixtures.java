package io.taskflow4j.dashboard;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.retry.Times;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flows the tests show: the command's demo order flow (five tasks, {@code charge-card} fails
 * its first attempt and its retry runs it again), a flow whose names and values are HTML, a slow
 * chain.
 */
final class Fixtures {

  /**
   * Closes each resource that was made, in the order given: a test class's teardown after a start
   * that may have failed part way.
   */
  static void close(AutoCloseable... resources) throws Exception {
    for (AutoCloseable r : resources) {
      if (r != null) {
        r.close();
      }
    }
  }

  static final String XSS_NAME = "<script>alert(1)</script>";
  static final String XSS_RESULT = "<img src=x onerror=alert(2)>";
  static final String XSS_MESSAGE = "bad input <img src=x onerror=alert(3)>";
  static final String XSS_TRACE =
      "Traceback: <img src=x onerror=alert(4)><script>alert(5)</script>";

  private Fixtures() {}

  /** The demo's flow, as {@code taskflow4j demo} runs it. */
  static Flow orderFlow(String orderId, long delay) {
    return LinearFlow.of("order-processing")
        .add(
            new Step("fetch-order", delay, null, "order") {
              @Override
              public Object execute(Arguments args) {
                work(delay);
                return Map.of("id", orderId, "total_cents", 13800);
              }
            },
            UnorderedFlow.of("reserve-and-charge")
                .add(
                    new Step("reserve-stock", delay, "order", "reservation"),
                    LinearFlow.of("payment", new Times("charge-retry", 3).provides("attempt"))
                        .add(new ChargeCard(delay))),
            new Step("ship", delay, "receipt", "tracking"),
            new Step("notify-customer", delay, "tracking", "notified"));
  }

  /** Runs the demo flow in {@code backend}; returns its flow detail. */
  static FlowDetail runOrder(Backend backend, String orderId, long delay) {
    LogBook book = LogBook.create("demo " + orderId);
    try (Engine engine =
        Engines.load(orderFlow(orderId, delay))
            .backend(backend)
            .logBook(book)
            .parallel(2)
            .build()) {
      engine.run();
      return engine.flowDetail();
    }
  }

  /** A flow and task named as a script, with a result and a failure holding an HTML element. */
  static FlowDetail runHostile(Backend backend) {
    LogBook book = LogBook.create(XSS_NAME);
    Flow flow =
        LinearFlow.of(XSS_NAME)
            .add(
                Task.of(XSS_NAME, () -> XSS_RESULT).provides("x"),
                Task.of(
                    "fails-with-html",
                    () -> {
                      throw new IllegalArgumentException(XSS_MESSAGE);
                    }));
    try (Engine engine = Engines.load(flow).backend(backend).logBook(book).serial().build()) {
      try {
        engine.run();
      } catch (RuntimeException expected) {
        // the flow fails and is reverted: that is what the test shows
      }
      FlowDetail fd = engine.flowDetail();
      // a traceback as another program (TaskFlow) may have written it, with markup in it
      io.taskflow4j.persistence.AtomDetail failed = fd.findByName("fails-with-html").orElseThrow();
      io.taskflow4j.persistence.Failure f = failed.failure();
      backend
          .getConnection()
          .updateAtomDetails(
              failed.withFailure(
                  io.taskflow4j.persistence.Failure.of(
                      f.excTypeNames(),
                      f.exceptionStr(),
                      XSS_TRACE + "\n" + f.tracebackStr(),
                      f.excArgs(),
                      f.causes())));
      return backend.getConnection().getFlowDetails(fd.uuid());
    }
  }

  /** A chain of {@code n} tasks of {@code delay} ms each, named {@code step-1...}. */
  static Flow slowChain(String name, int n, long delay) {
    LinearFlow flow = LinearFlow.of(name);
    for (int i = 1; i <= n; i++) {
      flow.add(
          Task.of(
              "step-" + i,
              () -> {
                work(delay);
                return "done";
              }));
    }
    return flow;
  }

  static void work(long delay) {
    if (delay <= 0) {
      return;
    }
    try {
      Thread.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static class Step extends Task {
    private final long delay;

    Step(String name, long delay, String requires, String provides) {
      super(name);
      this.delay = delay;
      if (requires != null) {
        requires(requires);
      }
      provides(provides);
    }

    @Override
    public Object execute(Arguments args) {
      work(delay);
      return name() + " done";
    }
  }

  private static final class ChargeCard extends Task {
    private final long delay;

    ChargeCard(long delay) {
      super("charge-card");
      this.delay = delay;
      requires("order", Map.class);
      requires("attempt", Integer.class);
      provides("receipt");
    }

    @Override
    public Object execute(Arguments args) {
      work(delay);
      int attempt = args.get("attempt", Integer.class);
      if (attempt == 1) {
        throw new IllegalStateException(
            "payment gateway did not answer within 5 s (attempt " + attempt + ")");
      }
      Map<String, Object> receipt = new LinkedHashMap<>();
      receipt.put("receipt", "PAY-" + attempt);
      receipt.put("lines", List.of("KB-101", "MS-220"));
      return receipt;
    }
  }
}
