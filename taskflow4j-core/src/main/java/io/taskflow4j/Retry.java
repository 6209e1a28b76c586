package io.taskflow4j;

import io.taskflow4j.persistence.Failure;
import io.taskflow4j.storage.RetryHistory;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A retry controller: the extension point that decides what happens when an atom in its scope
 * fails. A flow given a retry ({@code LinearFlow.of("f", retry)}) runs the retry first; when
 * anything inside the flow fails, the engine records the failure in the retry's history and asks
 * {@link #onFailure} for a {@link Decision}:
 *
 * <ul>
 *   <li>{@link Decision#RETRY}: revert the flow's atoms, then run the retry again (its new {@link
 *       #execute} result is recorded in the history) and the flow's atoms after it;
 *   <li>{@link Decision#REVERT}: revert this flow and let an enclosing retry decide (or, when there
 *       is none, revert everything);
 *   <li>{@link Decision#REVERT_ALL}: revert the whole flow the engine runs.
 * </ul>
 *
 * <p>The history survives restarts: a retry resumed in another process sees the attempts and
 * failures recorded before.
 */
public abstract class Retry extends Atom {

  /** What to do about a failure in the retry's scope (TaskFlow's retry strategies). */
  public enum Decision {
    /** Revert the scope and run it again. */
    RETRY,
    /** Revert the scope; the enclosing retry (if any) decides what comes next. */
    REVERT,
    /** Revert everything. */
    REVERT_ALL
  }

  /**
   * @param name the retry's name, unique within a flow
   */
  protected Retry(String name) {
    super(name);
  }

  /**
   * Produces the value for the next attempt (published per {@link #provides()}), e.g. the attempt
   * number or the next element to try.
   *
   * @param args the declared arguments
   * @param history the attempts so far (values and failures)
   */
  public abstract Object execute(Arguments args, RetryHistory history) throws Exception;

  /** Undoes {@link #execute}; the default does nothing. */
  public Object revert(Arguments args, RetryHistory history, Map<String, Failure> flowFailures)
      throws Exception {
    return null;
  }

  /**
   * Decides what to do after a failure in this retry's scope.
   *
   * @param history the attempts so far; its latest entry holds the failure(s) just recorded
   */
  public abstract Decision onFailure(RetryHistory history);

  /**
   * Decides what to do after a failure in this retry's scope, seeing the retry's declared arguments
   * too (as {@link #execute} does). Engines call this one; the default delegates to {@link
   * #onFailure(RetryHistory)}. Override it when the decision depends on the arguments (e.g. {@code
   * ParameterizedForEach}, whose values come from the store).
   *
   * @param args the declared arguments, fetched as for {@link #execute}
   * @param history the attempts so far; its latest entry holds the failure(s) just recorded
   */
  public Decision onFailure(Arguments args, RetryHistory history) {
    return onFailure(history);
  }

  // ---- fluent configuration ----

  /** Sets the version recorded in the logbook. */
  public Retry version(String version) {
    setVersion(version);
    return this;
  }

  /** Publishes each attempt's value under {@code name}. */
  public Retry provides(String name) {
    setProvides(Provides.whole(name));
    return this;
  }

  /** Publishes each attempt's value per {@code provides}. */
  public Retry provides(Provides provides) {
    setProvides(provides);
    return this;
  }

  /** Declares a required argument of type {@code type}. */
  public Retry requires(String arg, Class<?> type) {
    addRequired(arg, type);
    return this;
  }

  /** Declares required arguments of type {@code Object}. */
  public Retry requires(String... args) {
    for (String a : args) {
      addRequired(a, Object.class);
    }
    return this;
  }

  /** Declares an optional argument. */
  public Retry optional(String arg, Class<?> type) {
    addOptional(arg, type);
    return this;
  }

  /** Fetches arguments under other names: argument name → provided name. */
  public Retry rebind(Map<String, String> argToName) {
    setRebind(argToName);
    return this;
  }

  /** Fetches the declared arguments, in declaration order, under these names. */
  public Retry rebind(String... names) {
    setRebind(List.copyOf(Arrays.asList(names)));
    return this;
  }

  /** Values for this retry's arguments that no other atom provides. */
  public Retry inject(Map<String, ?> values) {
    setInject(values);
    return this;
  }
}
