package io.taskflow4j.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.worker.transport.RabbitTransport;
import io.taskflow4j.worker.transport.TransportException;
import io.taskflow4j.workloads.Workloads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker command line and the workload task registry. */
class WorkerMainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return WorkerMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void badUsageIsExplained() {
    assertThat(run("--tasks", "workloads")).isEqualTo(2);
    assertThat(err()).contains("--topic is required").contains("usage: worker");
    err.reset();
    assertThat(run("--topic")).isEqualTo(2);
    assertThat(err()).contains("--topic needs a value");
    err.reset();
    assertThat(run("--topic", "t", "--bogus", "1")).isEqualTo(2);
    assertThat(err()).contains("unknown option --bogus");
    err.reset();
    assertThat(run("--topic", "t", "--tasks", "workloads", "--concurrency", "many")).isEqualTo(2);
    assertThat(err()).contains("--concurrency must be a whole number");
    err.reset();
    assertThat(run("--topic", "t", "--tasks", "no.such.Provider")).isEqualTo(2);
    assertThat(err()).contains("task provider 'no.such.Provider' not found");
  }

  @Test
  void anUnreachableBrokerIsReportedWithoutThePassword() {
    assertThat(
            run(
                "--topic",
                "t",
                "--tasks",
                "workloads",
                "--uri",
                "amqp://user:s3cret-pw@127.0.0.1:1"))
        .isEqualTo(1);
    assertThat(err())
        .contains("cannot connect to RabbitMQ at 127.0.0.1:1")
        .doesNotContain("s3cret");
  }

  @Test
  void badUrisAndNamespacesAreRejectedClearly() {
    assertThatThrownBy(() -> RabbitTransport.connect("http://x:s3cret@h", "ns"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid AMQP URI")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> RabbitTransport.connect("amqp://127.0.0.1:1", "bad name!"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid namespace");
    assertThatThrownBy(() -> RabbitTransport.connect("amqp://127.0.0.1:1", "ns"))
        .isInstanceOf(TransportException.class);
  }

  @Test
  void workloadTasksHaveTheLocalValues() throws Exception {
    TaskRegistry r = TaskRegistry.load(List.of("workloads"), Map.of());
    Task t7 = r.create(Workloads.Constant.class.getName(), "t7");
    assertThat(t7.execute(Arguments.empty())).isEqualTo(7L);
    Task t5000 = r.create(Workloads.Constant.class.getName(), "t5000");
    assertThat(t5000.execute(Arguments.empty())).isEqualTo(5000L);
    Task inc = r.create(Workloads.Increment.class.getName(), "t3");
    assertThat(inc.execute(Arguments.of(Map.of("x", 41), inc.argumentTypes(), null)))
        .isEqualTo(42L);
    assertThatThrownBy(() -> r.create(Workloads.Constant.class.getName(), "x1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("named t<i>");
    assertThatThrownBy(() -> r.create("nope", "a"))
        .isInstanceOf(TaskRegistry.UnknownTaskException.class)
        .hasMessageContaining("no task 'nope'");
  }
}
