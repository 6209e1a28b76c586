package io.taskflow4j.examples.boot;

import io.taskflow4j.Task;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * Posts an order job at startup (once, however many instances start together: the post carries the
 * order as its idempotency key); a conductor claims it, runs its flow (recorded in
 * taskflow4j-example.db), and completes it. Stop it with Ctrl-C: a flow still running is suspended
 * and its job released for the next start.
 */
@SpringBootApplication
public class ExampleApplication {
  private static final Logger LOG = LoggerFactory.getLogger(ExampleApplication.class);

  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }

  /** The flow of an order; a bean, so the conductor can rebuild it by name. */
  public static final class OrderFlow implements FlowFactory {
    @Override
    public String name() {
      return "order";
    }

    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      String order = String.valueOf(args.get(0));
      return LinearFlow.of("order")
          .add(
              Task.of("reserve", () -> "reserved " + order).provides("reservation"),
              Task.of("charge", String.class, r -> "charged for " + r)
                  .requires("reservation")
                  .provides("receipt"),
              Task.of("ship", String.class, r -> "shipped after " + r).requires("receipt"));
    }
  }

  @Bean
  OrderFlow orderFlow() {
    return new OrderFlow();
  }

  @Bean
  ConductorListener logOutcomes() {
    return new ConductorListener() {
      @Override
      public void settled(JobOutcome o) {
        LOG.info("Job {} '{}': {} ({})", o.job().uuid(), o.job().name(), o.kind(), o.flowState());
      }
    };
  }

  @Bean
  ApplicationRunner postAnOrder(Jobboard board, Backend backend, OrderFlow flow) {
    return args -> {
      try (Connection c = backend.getConnection()) {
        // The key makes the post once per order while its job is on the board: two instances
        // starting together post one job, and each is told of the same one.
        var job =
            FlowJobs.post(
                board,
                c,
                FlowJob.of(flow, "A-1001")
                    .named("order A-1001")
                    .withIdempotencyKey("order-A-1001"));
        LOG.info("Job {} for order A-1001 is on {}", job.uuid(), board.describe());
      }
    };
  }
}
