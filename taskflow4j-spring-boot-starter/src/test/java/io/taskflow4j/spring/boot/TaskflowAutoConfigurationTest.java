package io.taskflow4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.FlowFactories;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.JobState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class TaskflowAutoConfigurationTest {
  static final AutoConfigurations ALL =
      AutoConfigurations.of(
          TaskflowAutoConfiguration.class,
          TaskflowConductorAutoConfiguration.class,
          TaskflowHealthAutoConfiguration.class,
          TaskflowHealthContributorAutoConfiguration.class);

  final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(ALL);

  @TempDir Path dir;

  String dirStore() {
    return "dir://" + dir.resolve("flows").toAbsolutePath();
  }

  @Test
  void withoutAConnectionNothingIsMade() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(Backend.class);
          assertThat(ctx).doesNotHaveBean(Jobboard.class);
          assertThat(ctx).doesNotHaveBean(Conductor.class);
          assertThat(ctx).doesNotHaveBean(TaskflowHealth.class);
        });
  }

  @Test
  void aConnectionMakesTheBackendTheBoardAndARunningConductor() {
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(),
            "taskflow4j.conductor.name=orders",
            "taskflow4j.conductor.max-concurrent-jobs=3",
            "taskflow4j.conductor.lease=3s")
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(Backend.class);
              assertThat(ctx).hasSingleBean(Jobboard.class);
              assertThat(ctx).hasSingleBean(Conductor.class);
              assertThat(ctx).hasSingleBean(TaskflowConductorLifecycle.class);
              assertThat(ctx.getBean(Backend.class).conf().backendName()).isEqualTo("dir");
              Jobboard board = ctx.getBean(Jobboard.class);
              assertThat(board.leaseTime()).isEqualTo(Duration.ofSeconds(3));
              assertThat(ctx.getBean(TaskflowConductorLifecycle.class).isRunning()).isTrue();
              assertThat(board.conductors()).hasSize(1);
              assertThat(board.conductors().get(0).name()).isEqualTo("orders");
              assertThat(board.conductors().get(0).meta()).containsEntry("max_jobs", 3);
            });
  }

  @Test
  void theConductorCanBeSwitchedOffAndEverythingCanBe() {
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(), "taskflow4j.conductor.enabled=false")
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(Backend.class);
              assertThat(ctx).hasSingleBean(Jobboard.class);
              assertThat(ctx).doesNotHaveBean(Conductor.class);
              assertThat(ctx).doesNotHaveBean(TaskflowConductorLifecycle.class);
            });
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore(), "taskflow4j.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(Backend.class));
  }

  @Test
  void theApplicationsOwnBeansWin() {
    Backend mine = Backends.open("memory://");
    Jobboard myBoard = Jobboards.open("memory://");
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore())
        .withBean("myBackend", Backend.class, () -> mine)
        .withBean("myBoard", Jobboard.class, () -> myBoard)
        .run(
            ctx -> {
              assertThat(ctx.getBean(Backend.class)).isSameAs(mine);
              assertThat(ctx.getBean(Jobboard.class)).isSameAs(myBoard);
              assertThat(myBoard.conductors()).hasSize(1);
            });
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore())
        .withUserConfiguration(OwnConductor.class)
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(Conductor.class);
              assertThat(ctx.getBean(Conductor.class).owner().name()).isEqualTo("mine");
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnConductor {
    @Bean
    Conductor myConductor(Backend backend, Jobboard board) {
      return Conductor.builder(board, backend).name("mine").build();
    }
  }

  @Test
  void flowFactoryBeansAreRegisteredAndListenersAndCustomizersAreCalled() {
    List<String> customized = new CopyOnWriteArrayList<>();
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore())
        .withBean(Greeting.class)
        .withBean(TaskflowConductorCustomizer.class, () -> b -> customized.add("called"))
        .run(
            ctx -> {
              FlowFactories factories = ctx.getBean(FlowFactories.class);
              assertThat(factories.find("greeting")).containsInstanceOf(Greeting.class);
              assertThat(factories.find(Greeting.class.getName())).isPresent();
              assertThat(customized).containsExactly("called");
            });
  }

  @Test
  void aPostedJobRunsAndClosingTheContextReleasesTheBoard() throws Exception {
    List<JobOutcome> outcomes = new CopyOnWriteArrayList<>();
    String store = dirStore();
    runner
        .withPropertyValues("taskflow4j.connection=" + store)
        .withBean(Greeting.class)
        .withBean(
            ConductorListener.class,
            () ->
                new ConductorListener() {
                  @Override
                  public void settled(JobOutcome o) {
                    outcomes.add(o);
                  }
                })
        .run(
            ctx -> {
              Jobboard board = ctx.getBean(Jobboard.class);
              try (Connection c = ctx.getBean(Backend.class).getConnection()) {
                FlowJobs.post(board, c, FlowJob.of(ctx.getBean(Greeting.class)));
              }
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
              while (outcomes.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
              }
              assertThat(outcomes).hasSize(1);
              assertThat(outcomes.get(0).kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
              assertThat(outcomes.get(0).flowState()).isEqualTo(FlowState.SUCCESS);
              assertThat(board.jobs()).isEmpty();
            });
    try (Jobboard after = Jobboards.open(store)) {
      assertThat(after.conductors()).isEmpty();
      assertThat(after.jobs()).allMatch(j -> j.state() == JobState.UNCLAIMED);
    }
  }

  @Test
  void theDataSourceModeNeedsADataSource() {
    runner
        .withPropertyValues("taskflow4j.connection=datasource")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .rootCause()
                  .isInstanceOf(InvalidConfigurationException.class)
                  .hasMessageContaining("taskflow4j.connection=datasource needs");
            });
  }

  @Test
  void theDataSourceModeUsesTheApplicationsDataSource() {
    Path db = dir.resolve("app.db");
    org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + db.toAbsolutePath());
    runner
        .withPropertyValues("taskflow4j.connection=jdbc:datasource")
        .withBean(javax.sql.DataSource.class, () -> ds)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              Backend backend = ctx.getBean(Backend.class);
              assertThat(backend.conf().connection()).startsWith("jdbc:sqlite:");
              try (Connection c = backend.getConnection()) {
                c.validate();
              }
              assertThat(ctx.getBean(Jobboard.class).conductors()).hasSize(1);
            });
    assertThat(db).exists();
  }

  @Test
  void badOptionsFailTheStartupWithTheStoresOwnMessage() {
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(), "taskflow4j.options.durabilty=process")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .rootCause()
                  .isInstanceOf(InvalidConfigurationException.class)
                  .hasMessageContaining("durability");
            });
  }
}
