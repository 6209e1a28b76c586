package io.taskflow4j.micrometer;

import io.micrometer.observation.ObservationRegistry;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Notifier.Registration;
import java.util.Objects;

/**
 * Observations (Micrometer's Observation API) of engine runs: one per flow run, and one per atom
 * execution or revert, the atom's a child of its flow's. With Micrometer Tracing on the registry
 * they become spans (exported to OpenTelemetry, Zipkin...): a trace per flow run, with a span per
 * task under it; with a meter handler they become timers.
 *
 * <pre>{@code
 * TaskflowObservations observations = new TaskflowObservations(observationRegistry);
 * try (var observed = observations.listen(engine)) {
 *   engine.run();
 * }
 * }</pre>
 *
 * <p>Names and key values (see {@code docs/METRICS.md}):
 *
 * <ul>
 *   <li>{@value #FLOW_RUN} (contextual name {@code "flow <name>"}): low cardinality {@value
 *       #FLOW_NAME}, {@value #FLOW_STATE} (the end state); high cardinality {@value #LOGBOOK_UUID}
 *       (when the engine knows it), {@value #FLOW_UUID}.
 *   <li>{@value #ATOM_RUN} (contextual name {@code "execute <atom>"} or {@code "revert <atom>"}):
 *       low cardinality {@value #FLOW_NAME}, {@value #ATOM_NAME}, {@value #ATOM_KIND}, {@value
 *       #ATOM_ACTION}, {@value #ATOM_STATE} (the outcome); high cardinality {@value #LOGBOOK_UUID},
 *       {@value #FLOW_UUID}, {@value #ATOM_UUID}. A failed atom's observation carries its error.
 * </ul>
 *
 * <p>A parallel engine runs atoms on its pool threads: each atom's observation is parented
 * explicitly on its flow's, never through thread-locals, and no scope is opened on the engine's
 * threads. The flow's observation takes as parent whatever observation is current on the thread
 * that runs the engine, so a flow run inside a traced request joins the request's trace. With a
 * no-op registry nothing is registered on the engine at all.
 */
public final class TaskflowObservations {
  /** The observation of a flow run. */
  public static final String FLOW_RUN = "taskflow4j.flow.run";

  /** The observation of an atom's execution or revert. */
  public static final String ATOM_RUN = "taskflow4j.atom.run";

  /** Key: the flow's name. */
  public static final String FLOW_NAME = "taskflow4j.flow.name";

  /** Key: the state a flow run ended in (lower case). */
  public static final String FLOW_STATE = "taskflow4j.flow.state";

  /** Key: the logbook's uuid. */
  public static final String LOGBOOK_UUID = "taskflow4j.logbook.uuid";

  /** Key: the flow detail's uuid. */
  public static final String FLOW_UUID = "taskflow4j.flow.uuid";

  /** Key: the atom's name. */
  public static final String ATOM_NAME = "taskflow4j.atom.name";

  /** Key: {@code task} or {@code retry}. */
  public static final String ATOM_KIND = "taskflow4j.atom.kind";

  /** Key: {@code execute} or {@code revert}. */
  public static final String ATOM_ACTION = "taskflow4j.atom.action";

  /** Key: the state the atom ended in (lower case). */
  public static final String ATOM_STATE = "taskflow4j.atom.state";

  /** Key: the atom detail's uuid. */
  public static final String ATOM_UUID = "taskflow4j.atom.uuid";

  /** The value of the state keys for an observation stopped before its flow or atom ended. */
  public static final String UNFINISHED = "unfinished";

  private final ObservationRegistry registry;

  /** Observes into {@code registry}. */
  public TaskflowObservations(ObservationRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Observes {@code engine}'s runs until the returned registration is closed. Closing it stops the
   * observations still open (a run cut short by a storage error leaves its flow RUNNING and sends
   * no final event), marking them {@value #UNFINISHED}; so close it when the engine's run may end
   * by an exception.
   */
  public Registration listen(Engine engine) {
    Objects.requireNonNull(engine, "engine");
    if (registry.isNoop()) {
      return () -> {};
    }
    return new ObservedEngine(registry, engine)::close;
  }
}
