package io.taskflow4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real flows observed through Micrometer Tracing's OpenTelemetry bridge into an in-memory span
 * exporter: the span tree, the attributes and the error status.
 */
class ObservationsOtelTest {
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final SdkTracerProvider tracerProvider =
      SdkTracerProvider.builder()
          .setSampler(Sampler.alwaysOn())
          .addSpanProcessor(SimpleSpanProcessor.create(exporter))
          .build();
  private final OtelCurrentTraceContext currentContext = new OtelCurrentTraceContext();
  private final OtelTracer tracer =
      new OtelTracer(
          tracerProvider.get("taskflow4j-test"),
          currentContext,
          event -> {},
          new OtelBaggageManager(currentContext, List.of(), List.of()));
  private final ObservationRegistry registry = ObservationRegistry.create();
  private final Backend backend = new MemoryBackend();

  ObservationsOtelTest() {
    registry.observationConfig().observationHandler(new DefaultTracingObservationHandler(tracer));
  }

  @AfterEach
  void close() {
    backend.close();
    tracerProvider.close();
  }

  /** What a run left to check against the spans. */
  private record Run(String bookUuid, FlowDetail flow) {
    String atomUuid(String name) {
      return flow.atoms().stream()
          .filter(a -> a.name().equals(name))
          .map(AtomDetail::uuid)
          .findFirst()
          .orElseThrow();
    }
  }

  private Run run(Flow flow, boolean parallel) {
    LogBook book = LogBook.create("traced");
    Engines.Builder b = Engines.load(flow).backend(backend).logBook(book);
    if (parallel) {
      b.parallel(4);
    }
    try (Engine engine = b.build();
        Registration r = new TaskflowObservations(registry).listen(engine)) {
      engine.run();
      return new Run(book.uuid(), engine.flowDetail());
    }
  }

  private static String attr(SpanData s, String key) {
    return s.getAttributes().get(AttributeKey.stringKey(key));
  }

  private static List<SpanData> named(List<SpanData> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).toList();
  }

  /** Checks the tree and attributes every run must have; returns the atom spans. */
  private List<SpanData> checkTree(Run run, String flowName) {
    List<SpanData> spans = exporter.getFinishedSpanItems();
    List<SpanData> roots = spans.stream().filter(s -> !s.getParentSpanContext().isValid()).toList();
    assertThat(roots).as("one root span per flow run").hasSize(1);
    SpanData root = roots.get(0);
    assertThat(root.getName()).isEqualTo("flow " + flowName);
    assertThat(attr(root, TaskflowObservations.FLOW_UUID)).isEqualTo(run.flow().uuid());
    assertThat(attr(root, TaskflowObservations.LOGBOOK_UUID)).isEqualTo(run.bookUuid());
    assertThat(attr(root, TaskflowObservations.FLOW_STATE)).isEqualTo("success");
    assertThat(root.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);

    List<SpanData> atoms = spans.stream().filter(s -> s != root).toList();
    assertThat(atoms)
        .isNotEmpty()
        .allSatisfy(
            s -> {
              assertThat(s.getTraceId()).isEqualTo(root.getTraceId());
              assertThat(s.getParentSpanId()).as(s.getName()).isEqualTo(root.getSpanId());
              assertThat(s.getParentSpanId()).isNotEqualTo(SpanId.getInvalid());
              String atom = attr(s, TaskflowObservations.ATOM_NAME);
              assertThat(attr(s, TaskflowObservations.ATOM_UUID)).isEqualTo(run.atomUuid(atom));
              assertThat(attr(s, TaskflowObservations.FLOW_UUID)).isEqualTo(run.flow().uuid());
              assertThat(attr(s, TaskflowObservations.LOGBOOK_UUID)).isEqualTo(run.bookUuid());
              assertThat(attr(s, TaskflowObservations.FLOW_NAME)).isEqualTo(flowName);
            });
    for (SpanData s : atoms) {
      assertThat(s.getStartEpochNanos()).isGreaterThanOrEqualTo(root.getStartEpochNanos());
      assertThat(s.getEndEpochNanos()).isLessThanOrEqualTo(root.getEndEpochNanos());
    }
    return atoms;
  }

  private static void checkFlaky(List<SpanData> atoms) {
    List<SpanData> flaky = named(atoms, "execute flaky");
    assertThat(flaky).as("the failed and the retried execution").hasSize(2);
    Map<StatusCode, List<SpanData>> byStatus =
        flaky.stream().collect(Collectors.groupingBy(s -> s.getStatus().getStatusCode()));
    assertThat(byStatus.get(StatusCode.ERROR)).hasSize(1);
    SpanData failed = byStatus.get(StatusCode.ERROR).get(0);
    assertThat(attr(failed, TaskflowObservations.ATOM_STATE)).isEqualTo("failure");
    assertThat(failed.getEvents())
        .anySatisfy(
            e ->
                assertThat(e.getAttributes().get(AttributeKey.stringKey("exception.message")))
                    .isEqualTo("flaky call 1"));
    assertThat(flaky)
        .filteredOn(s -> s != failed)
        .singleElement()
        .satisfies(s -> assertThat(attr(s, TaskflowObservations.ATOM_STATE)).isEqualTo("success"));
    assertThat(named(atoms, "revert flaky")).hasSize(1);
    assertThat(named(atoms, "execute again"))
        .as("the retry controller ran twice")
        .hasSize(2)
        .allSatisfy(s -> assertThat(attr(s, TaskflowObservations.ATOM_KIND)).isEqualTo("retry"));
  }

  @Test
  void aLinearFlowIsOneTraceWithASpanPerAtomUnderTheFlowSpan() {
    Run run = run(TestFlows.retried("linear", 1), false);
    List<SpanData> atoms = checkTree(run, "linear");
    assertThat(named(atoms, "execute setup")).hasSize(1);
    checkFlaky(atoms);
  }

  @Test
  void aParallelFlowsAtomsAreChildrenOfTheFlowSpanThoughTheyRunOnPoolThreads() {
    Run run = run(TestFlows.parallel("fanout", 1), true);
    List<SpanData> atoms = checkTree(run, "fanout");
    for (String p : List.of("p1", "p2", "p3", "p4")) {
      assertThat(named(atoms, "execute " + p)).as(p).hasSize(1);
    }
    checkFlaky(atoms);
    assertThat(tracer.currentSpan()).as("no span left open on the test thread").isNull();
  }

  @Test
  void aFlowRunInsideAnObservationJoinsItsTrace() {
    Observation request = Observation.start("request", registry);
    Run run;
    String currentAfterRun;
    try (Observation.Scope scope = request.openScope()) {
      run = run(TestFlows.linear("inner"), false);
      currentAfterRun = tracer.currentSpan().context().spanId();
    }
    request.stop();
    List<SpanData> spans = exporter.getFinishedSpanItems();
    SpanData outer = named(spans, "request").get(0);
    SpanData flow = named(spans, "flow inner").get(0);
    assertThat(flow.getParentSpanId()).isEqualTo(outer.getSpanId());
    assertThat(attr(flow, TaskflowObservations.FLOW_UUID)).isEqualTo(run.flow().uuid());
    for (String t : List.of("t1", "t2", "t3")) {
      assertThat(named(spans, "execute " + t).get(0).getParentSpanId())
          .as("a serial engine runs %s on the caller's thread, under the caller's span", t)
          .isEqualTo(flow.getSpanId());
    }
    assertThat(currentAfterRun)
        .as("the caller's span is current again after the run")
        .isEqualTo(outer.getSpanId());
  }
}
