package io.taskflow4j.conductor;

import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.persistence.Json;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A flow to post as a job: its factory and arguments, the values for its store, and how to post it.
 * See {@link FlowJobs#post}.
 *
 * @param name the job's (and the logbook's and flow detail's) name
 * @param factory builds the flow; recorded in the flow detail so a conductor can rebuild it
 * @param args the factory's positional arguments (JSON values)
 * @param kwargs the factory's named arguments (JSON values)
 * @param store values for the flow's store (JSON values), carried in the job's details
 * @param priority how urgent
 * @param idempotencyKey posting twice with one key posts once; may be {@code null}
 */
public record FlowJob(
    String name,
    FlowFactory factory,
    List<Object> args,
    Map<String, Object> kwargs,
    Map<String, Object> store,
    JobPriority priority,
    String idempotencyKey) {

  /** Checks and normalizes the fields. */
  @SuppressWarnings("unchecked")
  public FlowJob {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(factory, "factory");
    args = args == null ? List.of() : (List<Object>) Json.normalize(args);
    kwargs = kwargs == null ? Map.of() : (Map<String, Object>) Json.normalize(kwargs);
    store = store == null ? Map.of() : (Map<String, Object>) Json.normalize(store);
    priority = priority == null ? JobPriority.NORMAL : priority;
  }

  /** A NORMAL-priority job named after the factory, with these positional arguments. */
  public static FlowJob of(FlowFactory factory, Object... args) {
    return new FlowJob(
        factory.name(), factory, Arrays.asList(args), Map.of(), Map.of(), JobPriority.NORMAL, null);
  }

  /** This job with another name. */
  public FlowJob named(String n) {
    return new FlowJob(n, factory, args, kwargs, store, priority, idempotencyKey);
  }

  /** This job with named arguments. */
  public FlowJob withKwargs(Map<String, ?> k) {
    return new FlowJob(name, factory, args, Map.copyOf(k), store, priority, idempotencyKey);
  }

  /** This job with store values. */
  public FlowJob withStore(Map<String, ?> s) {
    return new FlowJob(name, factory, args, kwargs, Map.copyOf(s), priority, idempotencyKey);
  }

  /** This job with another priority. */
  public FlowJob withPriority(JobPriority p) {
    return new FlowJob(name, factory, args, kwargs, store, p, idempotencyKey);
  }

  /** This job with an idempotency key. */
  public FlowJob withIdempotencyKey(String key) {
    return new FlowJob(name, factory, args, kwargs, store, priority, key);
  }
}
