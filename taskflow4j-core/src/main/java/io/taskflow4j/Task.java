package io.taskflow4j;

import io.taskflow4j.persistence.Failure;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A unit of work with an undo: {@link #execute} does it, {@link #revert} undoes it when the flow
 * fails later on.
 *
 * <p>Two ways to write one. A subclass:
 *
 * <pre>{@code
 * final class Reserve extends Task {
 *   Reserve() {
 *     super("reserve");
 *     requires("order", Order.class);
 *     provides("reservation");
 *   }
 *   public Object execute(Arguments args) {
 *     Order order = args.get("order");            // arrives as an Order, also after a reload
 *     return inventory.reserve(order);
 *   }
 *   public Object revert(Arguments args, Object result, Map<String, Failure> failures) {
 *     inventory.release(Json.convert(result, Reservation.class));
 *     return null;
 *   }
 * }
 * }</pre>
 *
 * or a lambda: {@code Task.of("inc", Integer.class, x -> x + 1).requires("x").provides("y")}.
 *
 * <p>Engines call {@code execute} <em>at least once</em>: when a run is interrupted while a task is
 * running (a crash, a killed process), the resumed run executes it again. Tasks should therefore be
 * idempotent, or check for their own earlier effects.
 */
public abstract class Task extends Atom {

  /**
   * @param name the task's name, unique within a flow
   */
  protected Task(String name) {
    super(name);
  }

  /**
   * Does the work.
   *
   * @param args the declared arguments, converted to their declared types on access
   * @return the result (a value the JSON codec can represent), published per {@link #provides()}
   * @throws Exception any failure; the engine records it and reverts the flow (or asks a retry)
   */
  public abstract Object execute(Arguments args) throws Exception;

  /**
   * Undoes {@link #execute}. The default does nothing.
   *
   * @param args the same arguments as execute
   * @param result what execute returned (as stored: after a reload a JSON value — convert it with
   *     {@link io.taskflow4j.persistence.Json#convert}), or the {@link Failure} if this task failed
   * @param flowFailures the failures of the flow so far, by atom name
   * @return a revert result to record (a JSON-able value), or {@code null}
   */
  public Object revert(Arguments args, Object result, Map<String, Failure> flowFailures)
      throws Exception {
    return null;
  }

  // ---- fluent configuration ----

  /** Sets the version recorded in the logbook. */
  public Task version(String version) {
    setVersion(version);
    return this;
  }

  /** Publishes the whole result under {@code name}. */
  public Task provides(String name) {
    setProvides(Provides.whole(name));
    return this;
  }

  /** Publishes the result per {@code provides}. */
  public Task provides(Provides provides) {
    setProvides(provides);
    return this;
  }

  /** Publishes element {@code i} of a list result under {@code names[i]}. */
  public Task providesByIndex(String... names) {
    setProvides(Provides.byIndex(Arrays.asList(names)));
    return this;
  }

  /** Publishes the entries of a map result under their keys. */
  public Task providesByKey(String... keys) {
    setProvides(Provides.byKey(Arrays.asList(keys)));
    return this;
  }

  /** Declares a required argument of type {@code type}. */
  public Task requires(String arg, Class<?> type) {
    addRequired(arg, type);
    return this;
  }

  /** Declares required arguments (of type {@code Object}, or positional lambda types). */
  public Task requires(String... args) {
    for (String a : args) {
      addRequired(a, Object.class);
    }
    return this;
  }

  /** Declares an optional argument: passed when something provides it, else absent. */
  public Task optional(String arg, Class<?> type) {
    addOptional(arg, type);
    return this;
  }

  /** Fetches arguments under other names: argument name → provided name. */
  public Task rebind(Map<String, String> argToName) {
    setRebind(argToName);
    return this;
  }

  /** Fetches the declared arguments, in declaration order, under these names. */
  public Task rebind(String... names) {
    setRebind(List.of(names));
    return this;
  }

  /** Values for this task's arguments that no other atom provides. */
  public Task inject(Map<String, ?> values) {
    setInject(values);
    return this;
  }

  // ---- the lambda form ----

  /** A task body working on the {@link Arguments}. */
  @FunctionalInterface
  public interface Body {
    Object execute(Arguments args) throws Exception;
  }

  /** A task body without arguments. */
  @FunctionalInterface
  public interface Fn0<R> {
    R call() throws Exception;
  }

  /** A task body with one typed argument. */
  @FunctionalInterface
  public interface Fn1<A, R> {
    R apply(A a) throws Exception;
  }

  /** A task body with two typed arguments. */
  @FunctionalInterface
  public interface Fn2<A, B, R> {
    R apply(A a, B b) throws Exception;
  }

  /** A task body with three typed arguments. */
  @FunctionalInterface
  public interface Fn3<A, B, C, R> {
    R apply(A a, B b, C c) throws Exception;
  }

  /** An undo for a lambda task. */
  @FunctionalInterface
  public interface RevertBody {
    Object revert(Arguments args, Object result, Map<String, Failure> flowFailures)
        throws Exception;
  }

  /** A task whose body reads its {@link Arguments}; declare them with {@code requires}. */
  public static Task of(String name, Body body) {
    Objects.requireNonNull(body, "body");
    return new LambdaTask(name, new Class<?>[0], body);
  }

  /** A task without arguments. */
  public static Task of(String name, Fn0<?> fn) {
    Objects.requireNonNull(fn, "fn");
    return new LambdaTask(name, new Class<?>[0], args -> fn.call());
  }

  /**
   * A task with one argument of type {@code a}; name it with {@code requires("x")}.
   *
   * <pre>{@code Task.of("inc", Integer.class, x -> x + 1).requires("x").provides("y")}</pre>
   */
  public static <A> Task of(String name, Class<A> a, Fn1<? super A, ?> fn) {
    Objects.requireNonNull(fn, "fn");
    LambdaTask[] self = new LambdaTask[1];
    self[0] =
        new LambdaTask(
            name, new Class<?>[] {a}, args -> fn.apply(args.get(self[0].positional(0), a)));
    return self[0];
  }

  /** A task with two typed arguments; name them with {@code requires("x", "y")}. */
  public static <A, B> Task of(
      String name, Class<A> a, Class<B> b, Fn2<? super A, ? super B, ?> fn) {
    Objects.requireNonNull(fn, "fn");
    LambdaTask[] self = new LambdaTask[1];
    self[0] =
        new LambdaTask(
            name,
            new Class<?>[] {a, b},
            args ->
                fn.apply(args.get(self[0].positional(0), a), args.get(self[0].positional(1), b)));
    return self[0];
  }

  /** A task with three typed arguments; name them with {@code requires("x", "y", "z")}. */
  public static <A, B, C> Task of(
      String name, Class<A> a, Class<B> b, Class<C> c, Fn3<? super A, ? super B, ? super C, ?> fn) {
    Objects.requireNonNull(fn, "fn");
    LambdaTask[] self = new LambdaTask[1];
    self[0] =
        new LambdaTask(
            name,
            new Class<?>[] {a, b, c},
            args ->
                fn.apply(
                    args.get(self[0].positional(0), a),
                    args.get(self[0].positional(1), b),
                    args.get(self[0].positional(2), c)));
    return self[0];
  }

  /**
   * Sets the undo of a lambda task.
   *
   * @throws UnsupportedOperationException on a subclassed task (override {@link #revert})
   */
  public Task onRevert(RevertBody revert) {
    throw new UnsupportedOperationException(
        "task '" + name() + "' is a subclass; override revert(...) instead of onRevert(...)");
  }
}
