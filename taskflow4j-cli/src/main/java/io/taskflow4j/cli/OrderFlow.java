package io.taskflow4j.cli;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.retry.Times;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's flow: processing an order.
 *
 * <pre>
 * fetch-order ─┬─ reserve-stock ───────────────┬─ ship ── notify-customer
 *              └─ [charge-retry] charge-card ──┘
 * </pre>
 *
 * <p>Reserving stock and charging the card run in parallel. Charging is guarded by a retry
 * controller ({@code charge-retry}, up to 3 attempts) and, deterministically, fails its first
 * attempt with a gateway timeout, so every run shows a failure, a revert and a retry.
 *
 * <p>Arguments: {@code [orderId]} or {@code [orderId, delayMillis]} (the time each task takes).
 */
public final class OrderFlow implements FlowFactory {
  /** The flow's name. */
  public static final String NAME = "order-processing";

  /** The number of tasks (retry controllers not counted). */
  public static final int TASKS = 5;

  @Override
  public Flow create(List<Object> args, Map<String, Object> kwargs) {
    if (args.isEmpty() || !(args.get(0) instanceof String orderId) || orderId.isBlank()) {
      throw new IllegalArgumentException("the order flow's first argument is the order id");
    }
    long delay = args.size() > 1 && args.get(1) instanceof Number n ? n.longValue() : 0;
    return LinearFlow.of(NAME)
        .add(
            new FetchOrder(orderId, delay),
            UnorderedFlow.of("reserve-and-charge")
                .add(
                    new ReserveStock(delay),
                    LinearFlow.of("payment", new Times("charge-retry", 3).provides("attempt"))
                        .add(new ChargeCard(delay))),
            new Ship(delay),
            new NotifyCustomer(delay));
  }

  private static void work(long delayMillis) {
    if (delayMillis <= 0) {
      return;
    }
    try {
      Thread.sleep(delayMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** Loads the order: its customer, lines and total. */
  static final class FetchOrder extends Task {
    private final String orderId;
    private final long delay;

    FetchOrder(String orderId, long delay) {
      super("fetch-order");
      this.orderId = orderId;
      this.delay = delay;
      provides("order");
    }

    @Override
    public Object execute(Arguments args) {
      work(delay);
      return map(
          "id",
          orderId,
          "customer",
          "ada@example.com",
          "lines",
          List.of(
              map("sku", "KB-101", "quantity", 1, "price_cents", 8900),
              map("sku", "MS-220", "quantity", 2, "price_cents", 2450)),
          "total_cents",
          13800);
    }
  }

  /** Reserves the order's lines in the warehouse; released on revert. */
  static final class ReserveStock extends Task {
    private final long delay;

    ReserveStock(long delay) {
      super("reserve-stock");
      this.delay = delay;
      requires("order", Map.class);
      provides("reservation");
    }

    @Override
    public Object execute(Arguments args) {
      work(delay);
      Map<?, ?> order = args.get("order", Map.class);
      return "RSV-" + order.get("id");
    }

    @Override
    public Object revert(Arguments args, Object result, Map<String, Failure> failures) {
      return result instanceof String ? "released " + result : null;
    }
  }

  /** The payment gateway did not answer in time (the demo's first charge attempt). */
  public static final class GatewayTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public GatewayTimeoutException(String message) {
      super(message);
    }
  }

  /** Charges the customer's card; the first attempt times out. Refunded on revert. */
  static final class ChargeCard extends Task {
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
      Map<?, ?> order = args.get("order", Map.class);
      if (attempt == 1) {
        throw new GatewayTimeoutException(
            "payment gateway did not answer within 5 s (attempt " + attempt + ")");
      }
      return map(
          "receipt",
          "PAY-" + order.get("id") + "-" + attempt,
          "amount_cents",
          order.get("total_cents"));
    }

    @Override
    public Object revert(Arguments args, Object result, Map<String, Failure> failures) {
      return result instanceof Failure ? null : "refunded";
    }
  }

  /** Hands the parcel to the carrier. */
  static final class Ship extends Task {
    private final long delay;

    Ship(long delay) {
      super("ship");
      this.delay = delay;
      requires("order", Map.class);
      requires("reservation", String.class);
      requires("receipt", Map.class);
      provides("tracking");
    }

    @Override
    public Object execute(Arguments args) {
      work(delay);
      Map<?, ?> order = args.get("order", Map.class);
      return "TRK-"
          + order.get("id")
          + "-"
          + Math.floorMod(args.get("reservation", String.class).hashCode(), 1000);
    }
  }

  /** Emails the customer the tracking number. */
  static final class NotifyCustomer extends Task {
    private final long delay;

    NotifyCustomer(long delay) {
      super("notify-customer");
      this.delay = delay;
      requires("order", Map.class);
      requires("tracking", String.class);
      provides("notification");
    }

    @Override
    public Object execute(Arguments args) {
      work(delay);
      Map<?, ?> order = args.get("order", Map.class);
      return "sent to "
          + order.get("customer")
          + ": your parcel "
          + args.get("tracking", String.class);
    }
  }
}
