package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.FileJobboard;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.InvalidConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The jobboard kit on the file-lock board of a {@code dir://} store, plus its own promises. */
class FileJobboardTest extends JobboardContractTest {

  @TempDir Path tmp;

  private Path store() {
    return tmp.resolve("store");
  }

  @Override
  protected Jobboard openBoard(Duration leaseTime) {
    return Jobboards.open(
        Map.of("connection", "dir", "path", store().toString(), "lease", leaseTime));
  }

  @Test
  void opensByConnectionStringForBothSchemes() {
    for (String scheme : new String[] {"dir", "file"}) {
      try (Jobboard b = Jobboards.open(scheme + "://" + store() + "?lease=2&board=queue")) {
        assertThat(b).isInstanceOf(FileJobboard.class);
        assertThat(b.leaseTime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(b.describe()).contains("queue");
      }
    }
    assertThat(store().resolve("queue")).isDirectory();
    assertThat(store().resolve("queue-trash")).isDirectory();
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", ".hidden", "a/b", "", "books", "fences"})
  void rejectsABoardNameThatIsNoFolderOfItsOwn(String name) {
    assertThatThrownBy(
            () ->
                Jobboards.open(
                    Map.of("connection", "dir", "path", store().toString(), "board", name)))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'board'");
  }

  @Test
  void aClaimAdvancesTheDirStoresFenceOfTheJob() throws Exception {
    try (Jobboard a = openBoard(Duration.ofSeconds(30));
        Jobboard b = openBoard(Duration.ofSeconds(30));
        Backend backend = Backends.open("dir://" + store());
        Connection conn = backend.getConnection()) {
      Job job = a.post(JobSpec.of("j", null, "f"));
      Claim first = a.claim(job.uuid(), OwnerId.generate("c1")).orElseThrow();
      assertThat(conn.fenceToken(job.uuid())).hasValue(first.token());
      first.release();
      Claim second = b.claim(job.uuid(), OwnerId.generate("c2")).orElseThrow();
      assertThat(second.token()).isGreaterThan(first.token());
      assertThat(conn.fenceToken(job.uuid())).hasValue(second.token());
      second.complete();
      assertThat(
              Files.list(store().resolve("jobs"))
                  .filter(p -> !p.getFileName().toString().startsWith(".")))
          .as("no posting and no lock file is left of a completed job")
          .isEmpty();
    }
  }

  @Test
  void closingABoardFreesItsClaimsAtOnceAsTheDeathOfItsProcessWould() throws Exception {
    Jobboard a = openBoard(Duration.ofSeconds(30));
    try (Jobboard b = openBoard(Duration.ofSeconds(30))) {
      Job job = a.post(JobSpec.of("j", null, "f"));
      Claim c = a.claim(job.uuid(), OwnerId.generate("c1")).orElseThrow();
      assertThat(b.claim(job.uuid(), OwnerId.generate("c2"))).isEmpty();
      a.close();
      Claim taken = b.claim(job.uuid(), OwnerId.generate("c2")).orElseThrow();
      assertThat(taken.token()).isGreaterThan(c.token());
      assertThatThrownBy(c::complete).isInstanceOf(io.taskflow4j.persistence.FencedException.class);
      assertThat(b.job(job.uuid()).orElseThrow().owner()).isEqualTo(taken.owner().id());
    }
  }

  @Test
  void openingTheBoardRemovesWhatCrashedWritesLeftButNothingInFlight() throws Exception {
    try (Jobboard a = openBoard(Duration.ofSeconds(30))) {
      Job kept = a.post(JobSpec.of("j", null, "f"));
      a.claim(kept.uuid(), OwnerId.generate("c1")).orElseThrow().release();
    }
    Path jobs = store().resolve("jobs");
    Path strayLock = Files.createFile(jobs.resolve(java.util.UUID.randomUUID() + ".lock"));
    Path oldTemp = Files.createFile(jobs.resolve(".tmp-0123"));
    Files.setLastModifiedTime(
        oldTemp, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(600)));
    Path youngTemp = Files.createFile(jobs.resolve(".tmp-4567"));
    try (Jobboard b = openBoard(Duration.ofSeconds(30))) {
      assertThat(strayLock).doesNotExist();
      assertThat(oldTemp).doesNotExist();
      assertThat(youngTemp).exists();
      assertThat(b.jobs()).hasSize(1);
      assertThat(b.claimNext(OwnerId.generate("c2"))).isPresent();
    }
  }
}
