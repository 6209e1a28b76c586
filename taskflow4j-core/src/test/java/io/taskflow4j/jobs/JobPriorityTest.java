package io.taskflow4j.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.JobState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Priorities are stored by code: fixed values, in claiming order, with room between them. */
class JobPriorityTest {

  @Test
  void theCodesAreFixedAndRunInClaimingOrderWithRoomBetweenThem() {
    assertThat(JobPriority.VERY_HIGH.code()).isEqualTo(100);
    assertThat(JobPriority.HIGH.code()).isEqualTo(200);
    assertThat(JobPriority.NORMAL.code()).isEqualTo(300);
    assertThat(JobPriority.LOW.code()).isEqualTo(400);
    assertThat(JobPriority.VERY_LOW.code()).isEqualTo(500);
  }

  @Test
  void everyLevelIsFoundByItsCode() {
    for (JobPriority p : JobPriority.values()) {
      assertThat(JobPriority.ofCode(p.code())).isSameAs(p);
    }
  }

  @Test
  void anUnknownCodeIsATypedErrorThatSaysWhatToDo() {
    for (int code : new int[] {0, 4, 250, 600, -1}) {
      assertThatThrownBy(() -> JobPriority.ofCode(code))
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining("code " + code)
          .hasMessageContaining("300 normal")
          .hasMessageContaining("upgrade taskflow4j");
    }
  }

  @Test
  void theClaimingOrderComparesCodesThenSequence() {
    List<Job> jobs = new ArrayList<>();
    long seq = 0;
    for (JobPriority p :
        List.of(
            JobPriority.LOW, JobPriority.VERY_HIGH, JobPriority.NORMAL, JobPriority.VERY_HIGH)) {
      jobs.add(
          new Job(
              "j" + seq,
              "j",
              null,
              Map.of(),
              p,
              ++seq,
              Instant.EPOCH,
              JobState.UNCLAIMED,
              null,
              0,
              0,
              null));
    }
    jobs.sort(Job::compareForClaiming);
    assertThat(jobs).extracting(Job::uuid).containsExactly("j1", "j3", "j2", "j0");
  }

  @Test
  void aMemoryBoardIsOpenedByConnectionStringLikeEveryBoard() {
    try (Jobboard a = Jobboards.open("memory://?lease=2");
        Jobboard b = Jobboards.open("memory://")) {
      assertThat(a).isInstanceOf(MemoryJobboard.class);
      assertThat(a.leaseTime()).hasSeconds(2);
      a.post(JobSpec.of("j", null, "f"));
      assertThat(a.jobs()).hasSize(1);
      assertThat(b.jobs()).as("each open is a new, empty board").isEmpty();
    }
  }
}
