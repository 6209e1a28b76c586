package io.taskflow4j.spring.boot;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.FlowFactories;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.retention.PruneReport;
import io.taskflow4j.retention.Retention;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * A {@link Conductor} on the application's backend and jobboard, started and stopped with the
 * context ({@link TaskflowConductorLifecycle}): every {@link io.taskflow4j.engine.FlowFactory} bean
 * can rebuild flows, every {@link ConductorListener} bean hears of claims and outcomes, every
 * {@link TaskflowConductorCustomizer} bean adjusts the builder. Off with {@code
 * taskflow4j.conductor.enabled=false} (an application that only posts jobs).
 */
@AutoConfiguration(after = TaskflowAutoConfiguration.class)
@ConditionalOnBean({Backend.class, Jobboard.class})
@ConditionalOnProperty(
    prefix = "taskflow4j.conductor",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
public class TaskflowConductorAutoConfiguration {

  /** The conductor, built but not started: its lifecycle starts it with the context. */
  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean
  public Conductor taskflowConductor(
      TaskflowProperties props,
      Backend backend,
      Jobboard board,
      FlowFactories factories,
      ObjectProvider<ConductorListener> listeners,
      ObjectProvider<TaskflowConductorCustomizer> customizers) {
    TaskflowProperties.Conductor c = props.getConductor();
    TaskflowProperties.RetentionSettings r = props.getRetention();
    Conductor.Builder b =
        Conductor.builder(board, backend)
            .name(c.getName())
            .maxConcurrentJobs(c.getMaxConcurrentJobs())
            .maxFailures(c.getMaxFailures())
            .factories(factories);
    if (r.getMaxAge() != null) {
      b.retention(r.getMaxAge());
    }
    if (r.getPruneEvery() != null) {
      b.pruneEvery(r.getPruneEvery());
    }
    Retention policy = r.getPolicy();
    if (policy != null && policy != Retention.KEEP) {
      b.engineOptions(e -> e.retention(policy));
    }
    List<ConductorListener> all = listeners.orderedStream().toList();
    if (!all.isEmpty()) {
      b.listener(new Listeners(all));
    }
    customizers.orderedStream().forEach(x -> x.customize(b));
    return b.build();
  }

  /** Starts the conductor with the context and stops it, releasing its claims, before closing. */
  @Bean
  @ConditionalOnMissingBean
  public TaskflowConductorLifecycle taskflowConductorLifecycle(
      Conductor conductor, TaskflowProperties props) {
    return new TaskflowConductorLifecycle(conductor, props.getConductor().getShutdownGrace());
  }

  /** Every listener bean, each shielded from the others' failures. */
  static final class Listeners implements ConductorListener {
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);
    private final List<ConductorListener> all;

    Listeners(List<ConductorListener> all) {
      this.all = List.copyOf(all);
    }

    @Override
    public void claimed(Claim claim) {
      for (ConductorListener l : all) {
        try {
          l.claimed(claim);
        } catch (RuntimeException e) {
          LOG.warn("Conductor listener {} failed", l, e);
        }
      }
    }

    @Override
    public void engineStarting(Claim claim, Engine engine) {
      for (ConductorListener l : all) {
        try {
          l.engineStarting(claim, engine);
        } catch (RuntimeException e) {
          LOG.warn("Conductor listener {} failed", l, e);
        }
      }
    }

    @Override
    public void settled(JobOutcome outcome) {
      for (ConductorListener l : all) {
        try {
          l.settled(outcome);
        } catch (RuntimeException e) {
          LOG.warn("Conductor listener {} failed", l, e);
        }
      }
    }

    @Override
    public void pruned(PruneReport report) {
      for (ConductorListener l : all) {
        try {
          l.pruned(report);
        } catch (RuntimeException e) {
          LOG.warn("Conductor listener {} failed", l, e);
        }
      }
    }
  }
}
