package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
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
import java.util.List;
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
        assertThat(b.describe()).startsWith("file jobboard ");
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
  void aTrashFileOfAnEarlierVersionIsDatedByItsModificationTime() throws Exception {
    try (Jobboard b = openBoard(Duration.ofSeconds(30))) {
      Job old = b.post(JobSpec.of("old", null, "f1"));
      Job recent = b.post(JobSpec.of("recent", null, "f2"));
      b.claim(old.uuid(), OwnerId.generate("c1")).orElseThrow().trash("old");
      b.claim(recent.uuid(), OwnerId.generate("c1")).orElseThrow().trash("recent");
      Path trash = store().resolve("jobs-trash");
      // As an earlier version wrote them: no trashed_on.
      for (Job j : List.of(old, recent)) {
        Path f = trash.resolve(j.uuid() + ".json");
        @SuppressWarnings("unchecked")
        Map<String, Object> m =
            new java.util.LinkedHashMap<>(
                (Map<String, Object>) io.taskflow4j.persistence.Json.read(Files.readAllBytes(f)));
        assertThat(m).containsKey("trashed_on");
        m.remove("trashed_on");
        Files.write(f, io.taskflow4j.persistence.Json.writeBytes(m));
      }
      java.time.Instant now = java.time.Instant.now();
      java.nio.file.attribute.FileTime longAgo =
          java.nio.file.attribute.FileTime.from(now.minus(Duration.ofDays(40)));
      Files.setLastModifiedTime(trash.resolve(old.uuid() + ".json"), longAgo);
      // A damaged one does not keep the trash from being emptied: dated by its time too.
      Path damaged =
          Files.write(trash.resolve(java.util.UUID.randomUUID() + ".json"), "{\"uu".getBytes());
      Files.setLastModifiedTime(damaged, longAgo);

      assertThat(b.purgeTrash(now.minus(Duration.ofDays(30)))).isEqualTo(2);
      assertThat(damaged).doesNotExist();
      assertThat(b.trashedJobs()).extracting(Job::uuid).containsExactly(recent.uuid());
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

  @Test
  void aPostingIsNamedByItsPriorityCodeNotItsPositionInTheEnum() throws Exception {
    try (Jobboard a = openBoard(Duration.ofSeconds(30))) {
      for (JobPriority p : JobPriority.values()) {
        Job job = a.post(JobSpec.of("p-" + p, null, "f").withPriority(p));
        try (var files = Files.list(store().resolve("jobs"))) {
          assertThat(files.map(f -> f.getFileName().toString()))
              .as(p.name())
              .contains(String.format("%d-%019d-%s.json", p.code(), job.sequence(), job.uuid()));
        }
      }
    }
  }

  /**
   * Postings written by earlier releases, named by the priority's position in the enum (0 very high
   * .. 4 very low), are listed and claimed in their order among new ones, and keep their name.
   */
  @Test
  void postingsNamedByTheOldPriorityPositionsKeepTheirClaimingOrder() throws Exception {
    Path jobs = Files.createDirectories(store().resolve("jobs"));
    String[] oldPriorities = {"NORMAL", "VERY_HIGH", "VERY_LOW", "HIGH", "LOW"};
    int[] oldPositions = {2, 0, 4, 1, 3};
    Map<String, Path> oldFiles = new java.util.HashMap<>();
    for (int i = 0; i < oldPriorities.length; i++) {
      String uuid = "0000000" + i + "-old0-0000-0000-000000000000";
      Path f = jobs.resolve(String.format("%d-%019d-%s.json", oldPositions[i], i + 1, uuid));
      Files.writeString(
          f,
          "{\"uuid\": \""
              + uuid
              + "\", \"name\": \"old-"
              + oldPriorities[i]
              + "\", \"book\": null, \"details\": {}, \"priority\": \""
              + oldPriorities[i]
              + "\", \"sequence\": "
              + (i + 1)
              + ", \"created_on\": \"2026-11-28T15:51:15Z\", \"owner\": null, \"token\": 0,"
              + " \"failures\": 0, \"last_failure\": null, \"idempotency_key\": null}");
      oldFiles.put("old-" + oldPriorities[i], f);
    }
    Files.writeString(jobs.resolve(".sequence"), "5");
    try (Jobboard board = openBoard(Duration.ofSeconds(30))) {
      board.post(JobSpec.of("new-HIGH", null, "f").withPriority(JobPriority.HIGH));
      board.post(JobSpec.of("new-VERY_HIGH", null, "f").withPriority(JobPriority.VERY_HIGH));
      List<String> expected =
          List.of(
              "old-VERY_HIGH",
              "new-VERY_HIGH",
              "old-HIGH",
              "new-HIGH",
              "old-NORMAL",
              "old-LOW",
              "old-VERY_LOW");
      assertThat(board.jobs()).extracting(Job::name).isEqualTo(expected);
      List<String> claimed = new java.util.ArrayList<>();
      OwnerId me = OwnerId.generate("c");
      for (int i = 0; i < expected.size(); i++) {
        Claim c = board.claimNext(me).orElseThrow();
        claimed.add(c.job().name());
        if (c.job().name().startsWith("old-")) {
          assertThat(oldFiles.get(c.job().name())).as("an old posting keeps its name").exists();
        }
        c.complete();
      }
      assertThat(claimed).isEqualTo(expected);
      assertThat(board.claimNext(me)).isEmpty();
    }
  }

  @Test
  void aPostingWithAPriorityCodeThisReleaseDoesNotKnowIsRefusedWithATypedError() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30))) {
      Job job = board.post(JobSpec.of("j", null, "f"));
      Path jobs = store().resolve("jobs");
      Files.move(
          jobs.resolve(String.format("300-%019d-%s.json", job.sequence(), job.uuid())),
          jobs.resolve(String.format("250-%019d-%s.json", job.sequence(), job.uuid())));
      assertThatThrownBy(() -> board.claimNext(OwnerId.generate("c")))
          .isInstanceOf(io.taskflow4j.persistence.IncompatibleVersionException.class)
          .hasMessageContaining("code 250")
          .hasMessageContaining("upgrade taskflow4j");
    }
  }
}
