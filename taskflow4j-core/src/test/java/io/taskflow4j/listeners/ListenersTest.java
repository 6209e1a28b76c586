package io.taskflow4j.listeners;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

@SuppressWarnings("try") // listeners only need to be open while the engine runs
class ListenersTest {

  private static LinearFlow flow() {
    return LinearFlow.of("f")
        .add(
            Task.of(
                "slow",
                () -> {
                  Thread.sleep(60);
                  return 1;
                }),
            Task.of("fast", () -> 2));
  }

  @Test
  void anyListenersRunBeforeSpecificOnesAndFailuresAreSwallowed() {
    Engine engine = Engines.load(flow()).build();
    List<String> order = new ArrayList<>();
    engine.atomNotifier().register(AtomState.SUCCESS, e -> order.add("specific " + e.atomName()));
    engine
        .atomNotifier()
        .registerAny(
            e -> {
              throw new IllegalStateException("listener bug");
            });
    engine
        .atomNotifier()
        .registerAny(
            e -> {
              if (e.state() == AtomState.SUCCESS) {
                order.add("any " + e.atomName());
              }
            });
    engine.run();
    assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    assertThat(order).containsExactly("any slow", "specific slow", "any fast", "specific fast");
  }

  @Test
  void closingAListenerStopsIt() {
    Engine engine = Engines.load(flow()).build();
    CaptureListener capture = new CaptureListener(engine);
    capture.close();
    engine.run();
    assertThat(capture.values()).isEmpty();
  }

  @Test
  void timingListenerRecordsDurations() {
    try (Backend backend = Backends.open("memory://")) {
      Engine engine = Engines.load(flow()).backend(backend).build();
      try (TimingListener timing = new TimingListener(engine)) {
        engine.run();
      }
      FlowDetail fd = engine.flowDetail();
      double slow =
          ((Number) fd.findByName("slow").orElseThrow().meta().get("duration")).doubleValue();
      assertThat(slow).isGreaterThanOrEqualTo(0.05);
      assertThat(((Number) fd.meta().get("duration")).doubleValue()).isGreaterThanOrEqualTo(slow);
    }
  }

  @Test
  void eventTimeListenerRecordsWhenEachStateWasEntered() {
    Engine engine = Engines.load(flow()).build();
    try (EventTimeListener times = new EventTimeListener(engine)) {
      engine.run();
    }
    FlowDetail fd = engine.flowDetail();
    var meta = fd.findByName("fast").orElseThrow().meta();
    assertThat(meta).containsKeys("RUNNING-timestamp", "SUCCESS-timestamp");
    assertThat(((Number) meta.get("SUCCESS-timestamp")).doubleValue())
        .isGreaterThanOrEqualTo(((Number) meta.get("RUNNING-timestamp")).doubleValue());
    assertThat(fd.meta()).containsKeys("RUNNING-timestamp", "SUCCESS-timestamp");
  }

  @Test
  void loggingListenerLogsTransitionsAndFailuresAtWarn() {
    Logger logger = (Logger) LoggerFactory.getLogger("test.engine.events");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
    LinearFlow failing =
        LinearFlow.of("g")
            .add(
                Task.of(
                    "bad",
                    () -> {
                      throw new IllegalStateException("broken");
                    }));
    Engine engine = Engines.load(failing).build();
    try (LoggingListener l = new LoggingListener(engine, logger, Level.INFO)) {
      try {
        engine.run();
      } catch (IllegalStateException expected) {
        // the flow reverts and re-raises
      }
    }
    List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(lines).anyMatch(s -> s.startsWith("Task 'bad'") && s.contains("'RUNNING'"));
    assertThat(appender.list)
        .anyMatch(
            e ->
                e.getLevel() == ch.qos.logback.classic.Level.WARN
                    && e.getFormattedMessage().contains("'FAILURE'")
                    && e.getFormattedMessage().contains("broken"));
    assertThat(appender.list)
        .anyMatch(
            e ->
                e.getLevel() == ch.qos.logback.classic.Level.WARN
                    && e.getFormattedMessage().startsWith("Flow 'g'")
                    && e.getFormattedMessage().contains("'REVERTED'"));
    logger.detachAppender(appender);
  }

  @Test
  void printingListenerPrintsOneLinePerTransition() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Engine engine = Engines.load(flow()).build();
    try (PrintingListener p =
        new PrintingListener(
            engine,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8))) {
      engine.run();
    }
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(6);
    assertThat(lines[0]).startsWith("Flow 'f'").contains("'RUNNING' from state 'PENDING'");
    assertThat(lines[2]).startsWith("Task 'slow'").endsWith("with result '1'");
    assertThat(err.size()).isZero();
  }
}
