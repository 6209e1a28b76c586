package io.taskflow4j.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.jobs.Claim;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts a conductor's claims and settlements, and attaches engine metrics (and observations, when
 * given) to every engine it runs. Made by {@link TaskflowMetrics#conductorListener()}.
 */
final class ConductorMetrics implements ConductorListener {
  private final TaskflowMetrics metrics;
  private final MeterRegistry registry;
  private final TaskflowObservations observations;

  /** The observing registrations of the jobs running, closed when they settle. */
  private final Map<String, Registration> observed = new ConcurrentHashMap<>();

  ConductorMetrics(
      TaskflowMetrics metrics, MeterRegistry registry, TaskflowObservations observations) {
    this.metrics = metrics;
    this.registry = registry;
    this.observations = observations;
  }

  @Override
  public void claimed(Claim claim) {
    metrics.conductorClaimed();
  }

  @Override
  public void engineStarting(Claim claim, Engine engine) {
    // Registered on the job's own engine, which is dropped when the job settles: nothing to close.
    new EngineMetrics(metrics, registry, engine);
    if (observations != null) {
      // Closed at settlement: a run cut short (a lost claim, a storage error) sends no final flow
      // event, and its open observations are stopped then.
      observed.put(claim.job().uuid(), observations.listen(engine));
    }
  }

  @Override
  public void settled(JobOutcome outcome) {
    Registration r = observed.remove(outcome.job().uuid());
    if (r != null) {
      r.close();
    }
    metrics.conductorSettled(outcome);
  }
}
