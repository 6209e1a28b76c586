package io.taskflow4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.micrometer.MeteredBackend;
import io.taskflow4j.micrometer.TaskflowMetrics;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class TaskflowMetricsAutoConfigurationTest {
  final List<JobOutcome> outcomes = new CopyOnWriteArrayList<>();

  @TempDir Path dir;

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(TaskflowAutoConfigurationTest.ALL)
          .withConfiguration(AutoConfigurations.of(TaskflowMetricsAutoConfiguration.class))
          .withBean(Greeting.class)
          .withBean(
              "outcomes",
              ConductorListener.class,
              () ->
                  new ConductorListener() {
                    @Override
                    public void settled(JobOutcome o) {
                      outcomes.add(o);
                    }
                  });

  String dirStore() {
    return "dir://" + dir.resolve("flows").toAbsolutePath();
  }

  /** Posts a greeting job and waits until the context's conductor settled it. */
  void runOneJob(AssertableApplicationContext ctx) throws InterruptedException {
    try (Connection c = ctx.getBean(Backend.class).getConnection()) {
      FlowJobs.post(ctx.getBean(Jobboard.class), c, FlowJob.of(ctx.getBean(Greeting.class)));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (outcomes.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(outcomes).hasSize(1);
    assertThat(outcomes.get(0).kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
  }

  static long count(MeterRegistry registry, String name) {
    return registry.find(name).timers().stream().mapToLong(Timer::count).sum();
  }

  static List<String> taskflowMeters(MeterRegistry registry) {
    return registry.getMeters().stream()
        .map(Meter::getId)
        .map(Meter.Id::getName)
        .filter(n -> n.startsWith("taskflow4j."))
        .distinct()
        .toList();
  }

  @Test
  void aJobTheConductorRunsIsMeteredFromTheBoardToTheStore() {
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore())
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBean(Backend.class)).isInstanceOf(MeteredBackend.class);
              runOneJob(ctx);
              MeterRegistry registry = ctx.getBean(MeterRegistry.class);
              // The listeners are told one after another: the metrics' may come after the test's.
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
              while (count(registry, "taskflow4j.conductor.jobs.settled") == 0
                  && System.nanoTime() < deadline) {
                Thread.sleep(10);
              }
              assertThat(count(registry, "taskflow4j.conductor.jobs.settled")).isEqualTo(1);
              assertThat(
                      registry
                          .get("taskflow4j.store.writes")
                          .tags("backend", "dir", "outcome", "success")
                          .timers()
                          .stream()
                          .mapToLong(Timer::count)
                          .sum())
                  .isPositive();
              assertThat(registry.get("taskflow4j.jobboard.jobs.posted").counter().count())
                  .isEqualTo(1);
              assertThat(registry.get("taskflow4j.conductor.claims").counter().count())
                  .isEqualTo(1);
              // The engine meters reach the conductor's engines (ConductorListener.engineStarting).
              assertThat(
                      registry
                          .get("taskflow4j.flows.finished")
                          .tags("flow", "greeting", "state", "success")
                          .timer()
                          .count())
                  .isEqualTo(1);
            });
  }

  @Test
  void atomsAreFunctionTimersUnlessFullTimersAreAskedFor() {
    for (boolean full : new boolean[] {false, true}) {
      runner
          .withPropertyValues(
              "taskflow4j.connection=" + dirStore(), "taskflow4j.metrics.atom-histograms=" + full)
          .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
          .run(
              ctx -> {
                assertThat(ctx).hasNotFailed();
                runOneJob(ctx);
                MeterRegistry registry = ctx.getBean(MeterRegistry.class);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (registry.find("taskflow4j.atoms.executions").meters().isEmpty()
                    && System.nanoTime() < deadline) {
                  Thread.sleep(10);
                }
                Meter m =
                    registry
                        .get("taskflow4j.atoms.executions")
                        .tags("flow", "greeting", "outcome", "success")
                        .meter();
                assertThat(m)
                    .as("atom-histograms=" + full)
                    .isInstanceOf(
                        full ? Timer.class : io.micrometer.core.instrument.FunctionTimer.class);
              });
    }
  }

  @Test
  void metricsCanBeSwitchedOff() {
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(), "taskflow4j.metrics.enabled=false")
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBean(Backend.class)).isNotInstanceOf(MeteredBackend.class);
              assertThat(ctx).doesNotHaveBean(TaskflowMetrics.class);
              runOneJob(ctx);
              assertThat(taskflowMeters(ctx.getBean(MeterRegistry.class))).isEmpty();
            });
  }

  @Test
  void withoutAMeterRegistryNothingIsMetered() {
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore())
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(TaskflowMetrics.class);
              assertThat(ctx)
                  .doesNotHaveBean(TaskflowMetricsAutoConfiguration.BoundJobboardMetrics.class);
              assertThat(ctx.getBeansOfType(ConductorListener.class)).containsOnlyKeys("outcomes");
              assertThat(ctx.getBean(Backend.class)).isNotInstanceOf(MeteredBackend.class);
              runOneJob(ctx);
            });
  }

  @Test
  void withAnObservationRegistryEveryFlowTheConductorRunsIsObserved() {
    TestObservationRegistry observations = TestObservationRegistry.create();
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore())
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean(ObservationRegistry.class, () -> observations)
        .run(
            ctx -> {
              runOneJob(ctx);
              TestObservationRegistryAssert.assertThat(observations)
                  .hasObservationWithNameEqualTo("taskflow4j.flow.run")
                  .that()
                  .hasBeenStarted()
                  .hasBeenStopped()
                  .hasLowCardinalityKeyValue("taskflow4j.flow.name", "greeting");
            });
  }

  @Test
  void theApplicationsBackendIsMeteredOnceWhenDeclaredAsBackend() {
    MeterRegistry registry = new SimpleMeterRegistry();
    Backend plain = Backends.open("memory://");
    runner
        .withBean(MeterRegistry.class, () -> registry)
        .withBean("myBackend", Backend.class, () -> plain)
        .run(
            ctx -> {
              Backend bean = ctx.getBean(Backend.class);
              assertThat(bean).isInstanceOf(MeteredBackend.class);
              assertThat(((MeteredBackend) bean).unwrap()).isSameAs(plain);
            });
    Backend metered = MeteredBackend.wrap(Backends.open("memory://"), registry);
    runner
        .withBean(MeterRegistry.class, () -> registry)
        .withBean("myBackend", Backend.class, () -> metered)
        .run(ctx -> assertThat(ctx.getBean(Backend.class)).isSameAs(metered));
  }

  @Test
  void aBackendDeclaredAsItsImplementationIsLeftAloneSoItCanBeInjectedAsSuch() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withUserConfiguration(ImplementationBackend.class)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBean(MemoryBackend.class)).isInstanceOf(MemoryBackend.class);
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class ImplementationBackend {
    @Bean
    MemoryBackend myBackend() {
      return new MemoryBackend();
    }
  }
}
