package io.taskflow4j.persistence.dir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.StoreVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code durability=power} an atom's result is committed in its marker file (one synced
 * overwrite) before it is written over its metadata in place, unsynced ({@link AtomMarker}, {@link
 * MetadataSyncer}). What a power loss can leave of that, and how each is read and repaired.
 */
class DirCommitFrameTest {
  @TempDir Path dir;

  /** A step a write made, and on which file. */
  record Done(DirWriteHook.Step step, String file) {}

  private final List<Done> steps = new CopyOnWriteArrayList<>();

  private DirBackend backend() {
    return TestDirBackends.open(
        dir, "power", (step, path) -> steps.add(new Done(step, path.getFileName().toString())));
  }

  private Path metadata(AtomDetail ad) {
    return dir.resolve("atom_details").resolve(ad.uuid()).resolve("metadata");
  }

  private Path marker(AtomDetail ad) {
    return dir.resolve("atom_details").resolve(ad.uuid()).resolve(AtomMarker.MARKER);
  }

  @SuppressWarnings("unchecked")
  private String stateInMetadata(AtomDetail ad) throws IOException {
    Map<String, Object> m = (Map<String, Object>) Json.read(Files.readAllBytes(metadata(ad)));
    return (String) ((Map<String, Object>) m.get("atom")).get("state");
  }

  /** The metadata of a task saved, then RUNNING: what its result's commit lies over. */
  private byte[] savedAndRunning(Connection c, TaskDetail td) throws IOException {
    c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
    c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.RUNNING));
    return Files.readAllBytes(metadata(td));
  }

  private static TaskDetail succeeded(Connection c, TaskDetail td, Object result) {
    return (TaskDetail)
        c.updateAtomDetails(
            ((TaskDetail) c.getAtomDetails(td.uuid())).put(AtomState.SUCCESS, result));
  }

  @Test
  void anAtomMadeWithPowerHasAnEmptyMarkerFileAndASealedRecord() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
    }
    assertThat(marker(td)).isRegularFile().isEmptyFile();
    assertThat(new String(Files.readAllBytes(metadata(td)), StandardCharsets.UTF_8))
        .startsWith("{\"tf4j_seal\":1,");
    // With process nothing is made beside the record.
    Path other = dir.resolve("process");
    TaskDetail td2 = TaskDetail.create("t2");
    try (DirBackend b = TestDirBackends.open(other, "process", DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td2)));
    }
    assertThat(other.resolve("atom_details").resolve(td2.uuid()).resolve(AtomMarker.MARKER))
        .doesNotExist();
  }

  @Test
  void aResultIsCommittedInTheMarkerFileThenWrittenOverTheMetadata() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    MetadataSyncer syncer;
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      syncer = b.metadataSyncer();
      savedAndRunning(c, td);
      steps.clear();
      TaskDetail done = succeeded(c, td, 7);
      assertThat(steps)
          .containsExactly(
              new Done(DirWriteHook.Step.MARKER_WRITTEN, AtomMarker.MARKER),
              new Done(DirWriteHook.Step.FILE_SYNCED, AtomMarker.MARKER),
              new Done(DirWriteHook.Step.RECORD_REWRITTEN, "metadata"));
      assertThat(new String(Files.readAllBytes(marker(td)), StandardCharsets.US_ASCII))
          .startsWith("tf4j-commit 1 1 ");
      // TaskFlow's view: the record, whole, at once.
      assertThat(stateInMetadata(td)).isEqualTo("SUCCESS");
      assertThat(c.getAtomDetails(td.uuid())).isEqualTo(done);
      assertThat(done.revision()).isEqualTo(3);
    }
    assertThat(syncer.pendingCount()).as("synced by close").isZero();
  }

  @Test
  void aCommitWhoseWriteOverTheMetadataWasLostReadsBackAndTheNextWriteRepairsIt()
      throws IOException {
    TaskDetail td = TaskDetail.create("t");
    byte[] before;
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      before = savedAndRunning(c, td);
      succeeded(c, td, 7);
    }
    Files.write(metadata(td), before); // a power loss took the unsynced write over it
    assertThat(stateInMetadata(td)).isEqualTo("PENDING");
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      AtomDetail read = c.getAtomDetails(td.uuid());
      assertThat(read.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(read.revision()).isEqualTo(3);
      assertThat(read.lastResults()).isEqualTo(7);
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
      steps.clear();
      AtomDetail reverting = c.updateAtomDetails(read.withState(AtomState.REVERTING));
      // The frame's record went over the metadata, synced, before the marker replaced the frame.
      List<DirWriteHook.Step> order = new ArrayList<>();
      for (Done d : steps) {
        order.add(d.step());
      }
      assertThat(order).contains(DirWriteHook.Step.RENAMED, DirWriteHook.Step.DIR_SYNCED);
      assertThat(order.indexOf(DirWriteHook.Step.RENAMED))
          .isLessThan(order.indexOf(DirWriteHook.Step.MARKER_WRITTEN));
      assertThat(stateInMetadata(td)).isEqualTo("SUCCESS");
      assertThat(c.getAtomDetails(td.uuid())).isEqualTo(reverting);
      assertThat(reverting.revision()).isEqualTo(4);
    }
  }

  @Test
  void aCommitWhoseWriteOverTheMetadataWasTornReadsBackWhereverItTore() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    byte[] old;
    byte[] written;
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      old = savedAndRunning(c, td);
      // Longer than the record it goes over, padded as it was made.
      succeeded(c, td, "r".repeat(DirWriter.COMMIT_ROOM));
      written = Files.readAllBytes(metadata(td));
    }
    assertThat(written.length).isGreaterThan(old.length);
    List<byte[]> torn = new ArrayList<>();
    for (int k = 1; k < written.length; k += 13) {
      byte[] newStart = Arrays.copyOf(old, Math.max(old.length, k));
      System.arraycopy(written, 0, newStart, 0, k); // the new record's start over the old
      torn.add(newStart);
      byte[] oldStart = written.clone(); // the old start left, the rest written
      System.arraycopy(old, 0, oldStart, 0, Math.min(k, old.length));
      torn.add(oldStart);
    }
    torn.add(Arrays.copyOf(written, old.length)); // written whole, its new length lost
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      for (byte[] t : torn) {
        Files.write(metadata(td), t);
        AtomDetail read = c.getAtomDetails(td.uuid());
        assertThat(read.state()).isEqualTo(AtomState.SUCCESS);
        assertThat(read.revision()).isEqualTo(3);
        assertThat(read.lastResults()).isEqualTo("r".repeat(DirWriter.COMMIT_ROOM));
      }
    }
  }

  @Test
  void damagedMetadataThatNoCommitCouldHaveLeftIsReportedDamaged() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    byte[] written;
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      savedAndRunning(c, td);
      succeeded(c, td, 7);
      written = Files.readAllBytes(metadata(td));
    }
    // A later revision's start over it: no write this frame held could leave that.
    byte[] later =
        new String(written, StandardCharsets.UTF_8)
            .replaceFirst("^\\{\"tf4j_seal\":3,", "{\"tf4j_seal\":5,")
            .getBytes(StandardCharsets.UTF_8);
    Files.write(metadata(td), Arrays.copyOf(later, later.length - 40));
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      assertThatThrownBy(() -> c.getAtomDetails(td.uuid()))
          .isInstanceOf(CorruptRecordException.class);
    }
    // Damaged under a marker that is no commit: damaged.
    TaskDetail other = TaskDetail.create("u");
    byte[] running;
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      running = savedAndRunning(c, other);
    }
    String json = new String(running, StandardCharsets.UTF_8).strip();
    Files.write(metadata(other), Arrays.copyOf(running, json.length() / 2));
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      assertThatThrownBy(() -> c.getAtomDetails(other.uuid()))
          .isInstanceOf(CorruptRecordException.class);
    }
  }

  @Test
  void aMarkerOverACommitFrameAnotherWriterLeftSyncsTheMetadataFirst() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      savedAndRunning(c, td);
      succeeded(c, td, 7);
    }
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      steps.clear();
      c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.REVERTING));
      assertThat(steps)
          .containsExactly(
              new Done(DirWriteHook.Step.FILE_SYNCED, "metadata"),
              new Done(DirWriteHook.Step.MARKER_WRITTEN, AtomMarker.MARKER));
    }
  }

  @Test
  void aMarkerOverItsOwnCommitLeavesNothingPendingAndAFlowWriteDrainsTheRest() throws IOException {
    TaskDetail a = TaskDetail.create("a");
    TaskDetail x = TaskDetail.create("x");
    FlowDetail fd = FlowDetail.create("f").withAtom(a).withAtom(x);
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      MetadataSyncer syncer = b.metadataSyncer();
      c.saveLogBook(LogBook.create("lb").withFlow(fd));
      TaskDetail done = succeeded(c, a, 1);
      c.updateAtomDetails(done.withState(AtomState.REVERTING));
      assertThat(syncer.isPending(a.uuid())).isFalse();
      succeeded(c, x, 2);
      c.updateFlowDetails(c.getFlowDetails(fd.uuid()).withoutAtoms().withState(FlowState.SUCCESS));
      assertThat(syncer.pendingCount()).isZero();
    }
  }

  /** The syncer on its own, without its thread: what waits, and what each call syncs. */
  @Test
  void theSyncerSyncsWhatWaitsWhenAskedAndForgetsFilesThatAreGone() throws IOException {
    List<Path> synced = new CopyOnWriteArrayList<>();
    MetadataSyncer s = new MetadataSyncer(hookedFiles(synced), false);
    Path f1 = Files.write(dir.resolve("f1"), new byte[] {1});
    Path f2 = Files.write(dir.resolve("f2"), new byte[] {2});
    s.add("a", f1);
    s.add("b", f2);
    s.add("c", dir.resolve("gone"));
    assertThat(s.pendingCount()).isEqualTo(3);
    s.syncNow("a");
    assertThat(synced).containsExactly(f1);
    assertThat(s.isPending("a")).isFalse();
    s.syncNow("a"); // nothing waits: nothing synced
    assertThat(synced).containsExactly(f1);
    s.drain();
    assertThat(synced).containsExactly(f1, f2); // a file that is gone is forgotten unsynced
    assertThat(s.pendingCount()).isZero();
    // Past its bound, an addition syncs everything waiting itself.
    for (int i = 0; i <= MetadataSyncer.MAX_PENDING; i++) {
      s.add("n" + i, f1);
    }
    assertThat(s.pendingCount()).isZero();
  }

  private DirFiles hookedFiles(List<Path> synced) {
    return new DirFiles(
        dir,
        true,
        (step, path) -> {
          if (step == DirWriteHook.Step.FILE_SYNCED) {
            synced.add(path);
          }
        },
        null,
        null,
        false);
  }

  @Test
  void manyFilesAreSyncedAtOnceEachWithItsOwnOutcome() throws IOException {
    List<Path> synced = new CopyOnWriteArrayList<>();
    DirFiles files = hookedFiles(synced);
    List<Path> paths = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      paths.add(Files.write(dir.resolve("f" + i), new byte[] {(byte) i}));
    }
    paths.set(7, dir.resolve("gone"));
    paths.set(150, dir.resolve("x".repeat(300))); // a name too long: that sync fails
    List<DirFiles.DataSync> out = files.syncDataAll(paths, DirFiles.SYNC_THREADS);
    assertThat(out).hasSize(200);
    assertThat(out.get(7)).isEqualTo(DirFiles.DataSync.GONE);
    assertThat(out.get(150).synced()).isFalse();
    assertThat(out.get(150).failure()).hasMessageContaining("xxxxxxxx");
    for (int i = 0; i < 200; i++) {
      if (i != 7 && i != 150) {
        assertThat(out.get(i)).as("file %d", i).isEqualTo(DirFiles.DataSync.SYNCED);
      }
    }
    assertThat(synced).as("the hook is the caller's").isEmpty();
    // One at a time gives the same outcomes.
    assertThat(files.syncDataAll(paths, 1))
        .extracting(o -> o.synced() + "/" + (o.failure() != null))
        .isEqualTo(out.stream().map(o -> o.synced() + "/" + (o.failure() != null)).toList());
  }

  @Test
  void aDrainSyncsEveryFileItCanAndReportsTheFirstThatFailed() throws IOException {
    List<Path> synced = new CopyOnWriteArrayList<>();
    MetadataSyncer s = new MetadataSyncer(hookedFiles(synced), false);
    Path f1 = Files.write(dir.resolve("f1"), new byte[] {1});
    Path f2 = Files.write(dir.resolve("f2"), new byte[] {2});
    Path bad = dir.resolve("y".repeat(300));
    s.add("a", f1);
    s.add("bad", bad);
    s.add("b", f2);
    assertThatThrownBy(s::drain)
        .isInstanceOf(io.taskflow4j.persistence.StorageException.class)
        .hasMessageContaining("yyyyyyyy");
    assertThat(synced).containsExactlyInAnyOrder(f1, f2);
    assertThat(s.isPending("bad")).isTrue(); // left for the next drain or sync
    assertThat(s.pendingCount()).isEqualTo(1);
  }

  @Test
  void theBackgroundThreadSyncsWhatArrivesInBatches() throws Exception {
    List<Path> synced = new CopyOnWriteArrayList<>();
    MetadataSyncer s = new MetadataSyncer(hookedFiles(synced), true);
    try {
      for (int i = 0; i < 300; i++) {
        s.add("a" + i, Files.write(dir.resolve("f" + i), new byte[] {(byte) i}));
      }
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (s.pendingCount() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(s.pendingCount()).as("synced in the background").isZero();
      assertThat(synced).as("not hooked: only the writer's own syncs are").isEmpty();
      // Written again while it waits: the later write is synced too, not forgotten.
      Path again = dir.resolve("again");
      Files.write(again, new byte[] {1});
      s.add("x", again);
      s.add("x", again);
      deadline = System.nanoTime() + 10_000_000_000L;
      while (s.isPending("x") && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(s.isPending("x")).isFalse();
    } finally {
      s.close();
    }
  }

  @Test
  void theLeadingSealIsReadFromWhatSurvivesOfARecord() {
    assertThat(AtomMarker.leadingSeal(bytes("{\"tf4j_seal\":12,\"atom\":"))).isEqualTo(12);
    assertThat(AtomMarker.leadingSeal(bytes(" { \"tf4j_seal\" : 7"))).isEqualTo(7);
    assertThat(AtomMarker.leadingSeal(bytes("{\"atom\":{},\"tf4j_seal\":3}"))).isEqualTo(-1);
    assertThat(AtomMarker.leadingSeal(bytes("{\"tf4j_seal\":"))).isEqualTo(-1);
    assertThat(AtomMarker.leadingSeal(new byte[0])).isEqualTo(-1);
    assertThat(AtomMarker.leadingSeal(new byte[64])).isEqualTo(-1);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
