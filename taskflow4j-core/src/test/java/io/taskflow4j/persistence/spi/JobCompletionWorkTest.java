package io.taskflow4j.persistence.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobCompletionWorkTest {

  private static final class Work extends JobCompletionWork {
    Work(String flowUuid, List<Boolean> told) {
      super("job-1", flowUuid, told::add);
    }
  }

  @Test
  void carriedOnlyByItsFlowsFinalStatesUntilTheJobIsDeleted() {
    FlowDetail fd = FlowDetail.create("f");
    FlowDetail other = FlowDetail.create("other");
    List<Boolean> told = new ArrayList<>();
    Work work = new Work(fd.uuid(), told);

    assertThat(work.flowUuid()).isEqualTo(fd.uuid());
    for (FlowState s : FlowState.values()) {
      boolean last = s == FlowState.SUCCESS || s == FlowState.REVERTED || s == FlowState.FAILURE;
      assertThat(work.carriedBy(fd.withState(s))).as(s.name()).isEqualTo(last);
      assertThat(work.carriedBy(other.withState(s))).as("another flow, " + s).isFalse();
    }

    work.stored(false); // the job was no longer held: a later final write may still carry it
    assertThat(work.carriedBy(fd.withState(FlowState.SUCCESS))).isTrue();
    work.stored(true);
    assertThat(work.carriedBy(fd.withState(FlowState.SUCCESS))).as("deleted once").isFalse();
    assertThat(told).containsExactly(false, true);
    assertThat(work).hasToString("completion of job 'job-1' with flow '" + fd.uuid() + "'");
  }

  @Test
  void nullsAreRefused() {
    assertThatThrownBy(() -> new Work(null, new ArrayList<>()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("flowUuid");
  }
}
