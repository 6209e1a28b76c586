package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exec-log audit of {@link KillCampaign} catches each broken promise it is meant to. */
class KillCampaignAuditTest {
  @TempDir Path dir;

  private List<String> audit(int kills, String... lines) {
    KillCampaign c = KillCampaign.builder(dir).tasks(3).build();
    List<String> out = new ArrayList<>();
    c.auditLog(List.of(lines), kills, new KillCampaign.Stats(), out);
    return out;
  }

  @Test
  void aCleanRunWithOneReExecutionPerKillPasses() {
    assertThat(audit(0, "#resume 0", "t1", "t2", "t3")).isEmpty();
    assertThat(audit(1, "#resume 0", "t1", "t2", "#resume 1", "t2", "t3")).isEmpty();
  }

  @Test
  void aTaskRunAgainAfterItsSuccessWasRecordedIsCaught() {
    assertThat(audit(1, "#resume 0", "t1", "t2", "#resume 2", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("t2 ran again after its SUCCESS was recorded"));
  }

  @Test
  void aTaskThatNeverRanIsCaught() {
    assertThat(audit(0, "#resume 0", "t1", "t3")).contains("t2 never ran");
  }

  @Test
  void moreReExecutionsThanKillsAreCaught() {
    assertThat(audit(0, "#resume 0", "t1", "t1", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("with only 0 kills"));
  }

  @Test
  void twoReExecutionsInOneRestartAreCaught() {
    assertThat(audit(2, "#resume 0", "t1", "t2", "#resume 0", "t1", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("re-ran more than one task"));
  }

  @Test
  void aTornOrForeignLineIsCaught() {
    assertThat(audit(1, "#resume 0", "t1", "t", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("not a task name"));
  }
}
