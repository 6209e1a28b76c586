package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.StoreVerifier;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lone surrogates refused by the model, store limits, and verify's rules on books in memory. */
class TextAndLimitsTest {
  private static final String LONE = "a\ud800b";

  @Test
  void theModelRefusesALoneSurrogateInNamesValuesKeysAndVersions() {
    assertThatThrownBy(() -> LogBook.create(LONE))
        .isInstanceOf(InvalidTextException.class)
        .hasMessageContaining("\\ud800 at index 1");
    assertThatThrownBy(() -> FlowDetail.create(LONE)).isInstanceOf(InvalidTextException.class);
    assertThatThrownBy(() -> TaskDetail.create(LONE)).isInstanceOf(InvalidTextException.class);
    assertThatThrownBy(() -> TaskDetail.create("t").withVersion(LONE))
        .isInstanceOf(InvalidTextException.class);
    assertThatThrownBy(() -> TaskDetail.create("t").put(AtomState.SUCCESS, LONE))
        .isInstanceOf(InvalidTextException.class);
    assertThatThrownBy(() -> Json.normalize(Map.of("k", List.of("x", LONE))))
        .isInstanceOf(InvalidTextException.class);
    assertThatThrownBy(() -> Json.normalize(Map.of(LONE, 1)))
        .isInstanceOf(InvalidTextException.class);
    record Bean(String text) {}
    assertThatThrownBy(() -> Json.normalize(new Bean(LONE)))
        .isInstanceOf(InvalidTextException.class);
    // a pair is one character: accepted and kept
    assertThat(Json.normalize("smile \ud83d\ude00")).isEqualTo("smile \ud83d\ude00");
  }

  @Test
  void aFailureCapturedFromAnExceptionRecordsALoneSurrogateAsItsEscape() {
    Failure f = Failure.of(new IllegalStateException(LONE));
    assertThat(f.exceptionStr()).contains("a\\ud800b");
    assertThat(InvalidTextException.loneSurrogate(f.tracebackStr())).isEqualTo(-1);
  }

  @Test
  void limitsNameTheRecordTheFieldAndTheLimit() {
    StoreLimits limits =
        StoreLimits.builder("TestDB")
            .max(StoreLimits.Field.ATOM_NAME, 5, "atoms.name is VARCHAR(5)")
            .noNul("it says so")
            .times(Instant.EPOCH, Instant.parse("2100-01-01T00:00:00Z"), "a test column")
            .build();
    TaskDetail t = TaskDetail.create("toolong");
    LogBook ok = LogBook.create("b").withFlows(List.of(FlowDetail.create("f")));
    limits.check(ok);
    LogBook bad =
        LogBook.of(
            "u",
            "n\0",
            Instant.parse("2200-01-01T00:00:00Z"),
            null,
            Map.of(),
            List.of(FlowDetail.create("f").withAtoms(List.of(t))));
    assertThat(limits.violations(bad, 10))
        .hasSize(3)
        .anySatisfy(v -> assertThat(v).contains("NUL character"))
        .anySatisfy(v -> assertThat(v).contains("outside the times TestDB can represent"))
        .anySatisfy(
            v ->
                assertThat(v)
                    .contains(t.uuid())
                    .contains("name is 7 characters long, over the 5 TestDB keeps"));
    assertThatThrownBy(() -> limits.check(bad)).isInstanceOf(LimitExceededException.class);
  }

  @Test
  void theVerifiersRulesApplyToBooksInMemory() {
    TaskDetail a = TaskDetail.create("same").put(AtomState.SUCCESS, 1);
    TaskDetail b = TaskDetail.create("same").put(AtomState.SUCCESS, 2);
    TaskDetail running = TaskDetail.create("r").withState(AtomState.RUNNING);
    FlowDetail dup = FlowDetail.create("dup").withAtoms(List.of(a, b));
    FlowDetail done =
        FlowDetail.create("done").withAtoms(List.of(running)).withState(FlowState.SUCCESS);
    List<Problem> problems =
        StoreVerifier.check(List.of(LogBook.create("x").withFlows(List.of(dup, done))));
    assertThat(problems)
        .extracting(Problem::kind)
        .containsExactlyInAnyOrder(Problem.Kind.DUPLICATE, Problem.Kind.STATE_MISMATCH);
    assertThat(
            StoreVerifier.check(
                List.of(LogBook.create("y").withFlows(List.of(done.withState(FlowState.RUNNING))))))
        .isEmpty();
  }
}
