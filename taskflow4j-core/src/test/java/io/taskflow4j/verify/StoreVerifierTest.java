package io.taskflow4j.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.dir.DirStoreInspector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StoreVerifier} finds each kind of damage, and nothing in a sound store. */
class StoreVerifierTest {
  @TempDir Path dir;

  private String url() {
    return "dir://" + dir.resolve("store") + "?durability=process";
  }

  /** A book with one flow of three atoms in the given states (SUCCESS ones with result 1). */
  private static LogBook book(FlowState flowState, AtomState... states) {
    FlowDetail fd = FlowDetail.create("f").withState(flowState);
    for (int i = 0; i < states.length; i++) {
      TaskDetail td = TaskDetail.create("t" + i);
      td =
          switch (states[i]) {
            case SUCCESS -> td.put(AtomState.SUCCESS, 1);
            case FAILURE -> td.put(AtomState.FAILURE, Failure.of(new IllegalStateException("x")));
            default -> td.withState(states[i]);
          };
      fd = fd.withAtom(td);
    }
    return LogBook.create("b").withFlow(fd);
  }

  private static List<Problem.Kind> kinds(Report r) {
    return r.problems().stream().map(Problem::kind).collect(Collectors.toList());
  }

  @Test
  void theDirectoryInspectorIsFoundThroughTheServiceLoaderLikeEveryBackends() {
    assertThat(ServiceLoader.load(RawStoreInspector.class))
        .anyMatch(DirStoreInspector.class::isInstance);
    assertThat(StoreVerifier.inspectors())
        .filteredOn(DirStoreInspector.class::isInstance)
        .hasSize(1);
  }

  @Test
  void aSoundStoreIsReportedConsistentWithWhatWasRead() {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      c.saveLogBook(book(FlowState.SUCCESS, AtomState.SUCCESS, AtomState.SUCCESS));
      c.saveLogBook(book(FlowState.RUNNING, AtomState.SUCCESS, AtomState.RUNNING));
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems()).isEmpty();
      assertThat(r.ok()).isTrue();
      assertThat(r.books()).isEqualTo(2);
      assertThat(r.flows()).isEqualTo(2);
      assertThat(r.atoms()).isEqualTo(4);
      assertThat(r.summary()).isEqualTo("2 logbooks, 2 flow details, 4 atom details: consistent");
    }
    assertThat(StoreVerifier.verify(url()).ok()).isTrue();
  }

  @Test
  void aSuccessfulFlowWithAnUnfinishedAtomIsAStateMismatch() {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      c.saveLogBook(book(FlowState.SUCCESS, AtomState.SUCCESS, AtomState.PENDING));
      Report r = StoreVerifier.verify(c);
      assertThat(kinds(r)).containsExactly(Problem.Kind.STATE_MISMATCH);
      assertThat(r.problems().get(0).message())
          .contains("SUCCESS while one of its atoms is PENDING");
      assertThat(r.ok()).isFalse();
    }
  }

  @Test
  void aSuccessWithAFailureAndAFailureWithoutOneAreStateMismatches() {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      Failure f = Failure.of(new IllegalStateException("boom"));
      TaskDetail successWithFailure =
          new TaskDetail(
              UUID.randomUUID().toString(),
              "a",
              AtomState.SUCCESS,
              null,
              1,
              f,
              null,
              null,
              null,
              null,
              0);
      TaskDetail failureWithout =
          new TaskDetail(
              UUID.randomUUID().toString(),
              "b",
              AtomState.FAILURE,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              0);
      c.saveLogBook(
          LogBook.create("b")
              .withFlow(
                  FlowDetail.create("f")
                      .withState(FlowState.RUNNING)
                      .withAtom(successWithFailure)
                      .withAtom(failureWithout)));
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems())
          .extracting(Problem::message)
          .anySatisfy(m -> assertThat(m).contains("SUCCESS but a failure is recorded (boom)"))
          .anySatisfy(m -> assertThat(m).contains("FAILURE but no failure is recorded"));
      assertThat(r.summary()).contains("2 problems (2 STATE_MISMATCH)");
    }
  }

  @Test
  void aFlowACutSaveNeverLinkedIsALeftoverToTidyNotAnError() throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      LogBook saved = c.saveLogBook(book(FlowState.RUNNING, AtomState.SUCCESS));
      String flowUuid = saved.flows().get(0).uuid();
      // A save cut after the flow detail was put in place and before its book linked it leaves
      // exactly this: a flow detail whose recorded owner does not link it.
      Files.delete(dir.resolve("store/books").resolve(saved.uuid()).resolve(flowUuid));
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems())
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.kind()).isEqualTo(Problem.Kind.LEFTOVER);
                assertThat(p.severity()).isEqualTo(Problem.Severity.NOTE);
                assertThat(p.location()).isEqualTo("flow detail " + flowUuid);
                assertThat(p.message()).contains("next write or upgrade() removes it");
              });
      assertThat(r.ok()).isTrue();
      assertThat(r.errors()).isEmpty();
    }
  }

  @Test
  void anUnlinkedObjectWithoutAnOwnerIsAnOrphanThatNothingRemoves() throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      c.saveLogBook(book(FlowState.RUNNING, AtomState.SUCCESS));
      // TaskFlow records no owner: its cut save (or a link deleted by hand) leaves this.
      String foreign = UUID.randomUUID().toString();
      Path meta = dir.resolve("store/flow_details").resolve(foreign).resolve("metadata");
      Files.createDirectories(meta.getParent());
      Files.writeString(
          meta,
          "{\"name\": \"x\", \"meta\": {}, \"state\": \"PENDING\", \"uuid\": \"" + foreign + "\"}");
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems())
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.kind()).isEqualTo(Problem.Kind.ORPHAN);
                assertThat(p.severity()).isEqualTo(Problem.Severity.ERROR);
                assertThat(p.location()).isEqualTo("flow detail " + foreign);
                assertThat(p.message())
                    .contains("nothing removes it by itself")
                    .doesNotContain("upgrade() removes it");
              });
      assertThat(r.ok()).isFalse();
    }
  }

  @Test
  void aLinkToAMissingAtomIsDangling() throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      LogBook saved = c.saveLogBook(book(FlowState.RUNNING, AtomState.SUCCESS, AtomState.PENDING));
      String atomUuid = saved.flows().get(0).atoms().get(1).uuid();
      deleteTree(dir.resolve("store/atom_details").resolve(atomUuid));
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems())
          .anySatisfy(
              p -> {
                assertThat(p.kind()).isEqualTo(Problem.Kind.DANGLING_LINK);
                assertThat(p.message()).contains(atomUuid);
              });
    }
  }

  @Test
  void aCorruptRecordIsUnreadableAndNamed() throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      LogBook saved = c.saveLogBook(book(FlowState.RUNNING, AtomState.SUCCESS));
      String atomUuid = saved.flows().get(0).atoms().get(0).uuid();
      Path meta = dir.resolve("store/atom_details").resolve(atomUuid).resolve("metadata");
      Files.writeString(meta, "{\"name\": \"t0\", \"stat");
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems()).isNotEmpty();
      assertThat(r.problems().get(0).kind()).isEqualTo(Problem.Kind.UNREADABLE);
      assertThat(r.toString()).contains(atomUuid);
    }
  }

  @Test
  void aDamagedLogbookRecordIsNamedAndTheOtherBooksAreStillChecked() throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      LogBook bad = c.saveLogBook(book(FlowState.RUNNING, AtomState.SUCCESS));
      c.saveLogBook(book(FlowState.SUCCESS, AtomState.SUCCESS, AtomState.PENDING));
      Path meta = dir.resolve("store/books").resolve(bad.uuid()).resolve("metadata");
      Files.writeString(meta, "{\"name\": \"b\", \"uu");
      Report r = StoreVerifier.verify(c);
      assertThat(kinds(r))
          .containsExactlyInAnyOrder(Problem.Kind.UNREADABLE, Problem.Kind.STATE_MISMATCH);
      Problem unreadable =
          r.problems().stream().filter(p -> p.kind() == Problem.Kind.UNREADABLE).findFirst().get();
      assertThat(unreadable.location()).isEqualTo("logbook " + bad.uuid());
      assertThat(unreadable.message()).contains(meta.toString());
      assertThat(r.books()).isEqualTo(1);
      assertThat(r.flows()).isEqualTo(1);
    }
  }

  @Test
  void aFileLeftInTheStagingDirectoryIsALeftover() throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      c.saveLogBook(book(FlowState.RUNNING, AtomState.SUCCESS));
      Files.writeString(dir.resolve("store/.tmp/.tmp-half-written"), "{");
      Report r = StoreVerifier.verify(c);
      assertThat(kinds(r)).containsExactly(Problem.Kind.LEFTOVER);
      // Readers skip it and the next write removes it: a note, not an inconsistency.
      assertThat(r.problems().get(0).severity()).isEqualTo(Problem.Severity.NOTE);
      assertThat(r.ok()).isTrue();
      assertThat(r.notes()).hasSize(1);
      assertThat(r.summary()).contains("consistent").contains("1 note (1 LEFTOVER)");
      assertThat(r.toString()).contains("note: LEFTOVER file .tmp/.tmp-half-written");
    }
    // upgrade() sweeps it, after which the store is consistent
    try (Backend b = Backends.open(url())) {
      assertThat(StoreVerifier.verify(b).problems()).isEmpty();
    }
  }

  @Test
  void theMemoryBackendIsCheckedThroughTheConnectionApi() {
    try (Backend b = Backends.open("memory://");
        Connection c = b.getConnection()) {
      c.saveLogBook(book(FlowState.REVERTED, AtomState.REVERTED, AtomState.RUNNING));
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems())
          .singleElement()
          .satisfies(
              p -> assertThat(p.message()).contains("REVERTED while one of its atoms is RUNNING"));
    }
  }

  private static void deleteTree(Path p) throws Exception {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
