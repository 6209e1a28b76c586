package io.taskflow4j.persistence.dir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.StoreVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an atom update may skip (reading its record back: {@link AtomCache}) and what a RUNNING or
 * REVERTING marker is ({@link AtomMarker}): neither may ever hide another writer's change, nor
 * leave a record that cannot be read.
 */
class DirMarkerAndCacheTest {
  @TempDir Path dir;

  private DirBackend backend(String durability, DirWriteHook hook) {
    return TestDirBackends.open(dir, durability, hook);
  }

  /**
   * A backend of {@code durability=power}: markers are files of their own there (with {@code
   * process} an atom's record is rewritten in place, markers too: see {@code
   * DirInPlaceRecordTest}).
   */
  private DirBackend backend() {
    return backend("power", DirWriteHook.NONE);
  }

  private Path atomDir(AtomDetail ad) {
    return dir.resolve("atom_details").resolve(ad.uuid());
  }

  @SuppressWarnings("unchecked")
  private String stateInMetadata(AtomDetail ad) throws IOException {
    Map<String, Object> m =
        (Map<String, Object>) Json.read(Files.readAllBytes(atomDir(ad).resolve("metadata")));
    return (String) ((Map<String, Object>) m.get("atom")).get("state");
  }

  // ------------------------------------------------------------------ what a backend remembers

  @Test
  void aBackendNoticesAnotherBackendsWriteOfAnAtomItRemembers() {
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend a = backend();
        DirBackend b = backend();
        Connection ca = a.getConnection();
        Connection cb = b.getConnection()) {
      ca.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      AtomDetail mine =
          ca.updateAtomDetails(ca.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 1));
      // b writes the atom a remembers: a's copy is stale now.
      AtomDetail theirs =
          cb.updateAtomDetails(cb.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 2));
      assertThat(theirs.revision()).isEqualTo(mine.revision() + 1);
      assertThatThrownBy(() -> ca.updateAtomDetails(((TaskDetail) mine).put(AtomState.SUCCESS, 3)))
          .isInstanceOf(ConflictException.class);
      AtomDetail fresh = ca.getAtomDetails(td.uuid());
      assertThat(((TaskDetail) fresh).results()).isEqualTo(2);
      assertThat(ca.updateAtomDetails(((TaskDetail) fresh).put(AtomState.SUCCESS, 4)).revision())
          .isEqualTo(theirs.revision() + 1);
      assertThat(((TaskDetail) cb.getAtomDetails(td.uuid())).results()).isEqualTo(4);
    }
  }

  /**
   * A marker leaves the atom's metadata file as it was: only the lock file's stamp tells the
   * backend that remembers the atom that someone else wrote it.
   */
  @Test
  void aBackendNoticesAnotherBackendsMarkerOverAnAtomItRemembers() {
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend a = backend();
        DirBackend b = backend();
        Connection ca = a.getConnection();
        Connection cb = b.getConnection()) {
      ca.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      AtomDetail mine =
          ca.updateAtomDetails(ca.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 1));
      AtomDetail theirs =
          cb.updateAtomDetails(cb.getAtomDetails(td.uuid()).withState(AtomState.REVERTING));
      assertThatThrownBy(() -> ca.updateAtomDetails(((TaskDetail) mine).put(AtomState.SUCCESS, 3)))
          .isInstanceOf(ConflictException.class);
      assertThat(ca.getAtomDetails(td.uuid())).isEqualTo(theirs);
      assertThat(ca.updateAtomDetails(theirs.withState(AtomState.REVERTED)).revision())
          .isEqualTo(theirs.revision() + 1);
    }
  }

  @Test
  void aBackendNoticesThatAnotherBackendDeletedTheBookOfAnAtomItRemembers() {
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend a = backend();
        DirBackend b = backend();
        Connection ca = a.getConnection();
        Connection cb = b.getConnection()) {
      LogBook lb =
          ca.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      AtomDetail mine =
          ca.updateAtomDetails(ca.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 1));
      cb.destroyLogBook(lb.uuid());
      assertThatThrownBy(() -> ca.updateAtomDetails(((TaskDetail) mine).put(AtomState.SUCCESS, 2)))
          .isInstanceOf(NotFoundException.class);
    }
  }

  @Test
  void theLockFileCarriesTheStampOfTheLastWriter() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend a = backend();
        Connection ca = a.getConnection()) {
      ca.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      String first = Files.readString(dir.resolve(".lock"));
      ca.updateAtomDetails(ca.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 1));
      String second = Files.readString(dir.resolve(".lock"));
      assertThat(first).matches("[0-9a-f]{16} [0-9a-f]{16}\n");
      assertThat(second).matches("[0-9a-f]{16} [0-9a-f]{16}\n").isNotEqualTo(first);
      assertThat(second.substring(17)).isEqualTo(first.substring(17)); // same writer
      // Reads leave it alone.
      ca.getLogBooks();
      assertThat(Files.readString(dir.resolve(".lock"))).isEqualTo(second);
    }
  }

  // ------------------------------------------------------------------ markers

  @Test
  void aRunningMarkerLeavesTheMetadataAsItWasAndTheNextWritePassesIt() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend a = backend();
        Connection c = a.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      byte[] pending = Files.readAllBytes(atomDir(td).resolve("metadata"));
      AtomDetail running =
          c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.RUNNING));
      assertThat(running.revision()).isEqualTo(2);
      assertThat(Files.readAllBytes(atomDir(td).resolve("metadata"))).isEqualTo(pending);
      assertThat(atomDir(td).resolve(AtomMarker.MARKER)).isRegularFile();
      assertThat(c.getAtomDetails(td.uuid())).isEqualTo(running);
      assertThat(c.getFlowDetails(c.getLogBooks().get(0).flows().get(0).uuid()).atoms())
          .containsExactly(running);
      // What TaskFlow reads: the state before the marker.
      assertThat(stateInMetadata(td)).isEqualTo("PENDING");

      AtomDetail done = c.updateAtomDetails(((TaskDetail) running).put(AtomState.SUCCESS, 7));
      assertThat(done.revision()).isEqualTo(3);
      assertThat(stateInMetadata(td)).isEqualTo("SUCCESS");
      assertThat(c.getAtomDetails(td.uuid())).isEqualTo(done); // the stale marker counts no more
    }
    // A backend that remembers nothing reads the same.
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      assertThat(c.getAtomDetails(td.uuid()).state()).isEqualTo(AtomState.SUCCESS);
      assertThat(c.getAtomDetails(td.uuid()).revision()).isEqualTo(3);
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
    }
  }

  @Test
  void aMarkerCutOrTornAnywhereIsIgnoredAndTheStateItReplacedReadsBack() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    byte[] marker;
    try (DirBackend a = backend();
        Connection c = a.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.RUNNING));
      marker = Files.readAllBytes(atomDir(td).resolve(AtomMarker.MARKER));
    }
    Path file = atomDir(td).resolve(AtomMarker.MARKER);
    for (int cut = 0; cut < marker.length; cut += 7) {
      Files.write(file, Arrays.copyOf(marker, cut)); // cut by a crash
      assertPendingAndWritable(td, "cut at " + cut);
      byte[] zeroed = marker.clone(); // a page that never reached the disk
      Arrays.fill(zeroed, cut, Math.min(marker.length, cut + 64), (byte) 0);
      Files.write(file, zeroed);
      assertPendingAndWritable(td, "zeroed from " + cut);
      byte[] flipped = marker.clone();
      flipped[cut] ^= 0x01;
      Files.write(file, flipped);
      assertPendingAndWritable(td, "flipped at " + cut);
    }
    // Whole again, with junk after it (left from a longer marker): it counts.
    byte[] longer = Arrays.copyOf(marker, marker.length + 40);
    Arrays.fill(longer, marker.length, longer.length, (byte) '}');
    Files.write(file, longer);
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      assertThat(c.getAtomDetails(td.uuid()).state()).isEqualTo(AtomState.RUNNING);
    }
  }

  private void assertPendingAndWritable(TaskDetail td, String as) throws IOException {
    byte[] before = Files.readAllBytes(atomDir(td).resolve(AtomMarker.MARKER));
    try (DirBackend b = backend();
        Connection c = b.getConnection()) {
      AtomDetail read = c.getAtomDetails(td.uuid());
      assertThat(read.state()).as(as).isEqualTo(AtomState.PENDING);
      assertThat(read.revision()).as(as).isEqualTo(1);
      assertThat(StoreVerifier.verify(c).problems()).as(as).isEmpty();
      // The copy read is current: a write of it is accepted (over the metadata's revision).
      assertThat(c.updateAtomDetails(read.withState(AtomState.RUNNING)).revision()).isEqualTo(2);
    }
    Files.write(atomDir(td).resolve(AtomMarker.MARKER), before);
  }

  @Test
  void inPowerModeAMarkerIsNeverSyncedAndAResultIsOneSyncedOverwrite() {
    Map<DirWriteHook.Step, Integer> counts = new EnumMap<>(DirWriteHook.Step.class);
    boolean[] counting = {false};
    DirWriteHook hook =
        (step, path) -> {
          if (counting[0]) {
            counts.merge(step, 1, Integer::sum);
          }
        };
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend a = backend("power", hook);
        Connection c = a.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      counting[0] = true;
      AtomDetail running =
          c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.RUNNING));
      assertThat(counts).containsOnly(Map.entry(DirWriteHook.Step.MARKER_WRITTEN, 1));
      counts.clear();
      AtomDetail reverting = c.updateAtomDetails(running.withState(AtomState.REVERTING));
      assertThat(counts).containsOnly(Map.entry(DirWriteHook.Step.MARKER_WRITTEN, 1));
      counts.clear();
      c.updateAtomDetails(reverting.withState(AtomState.REVERTED));
      counting[0] = false;
      // Its commit frame written over the marker and synced, then the record over the metadata
      // (synced in the background): no file made, no rename, no directory synced.
      assertThat(counts)
          .containsOnly(
              Map.entry(DirWriteHook.Step.MARKER_WRITTEN, 1),
              Map.entry(DirWriteHook.Step.FILE_SYNCED, 1),
              Map.entry(DirWriteHook.Step.RECORD_REWRITTEN, 1));
      assertThat(c.getAtomDetails(td.uuid()).state()).isEqualTo(AtomState.REVERTED);
      assertThat(c.getAtomDetails(td.uuid()).revision()).isEqualTo(4);
    }
  }

  @Test
  void aFlowUpdateCarryingAnAtomUnderAMarkerWritesItsMetadata() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(td);
    try (DirBackend a = backend();
        Connection c = a.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(fd));
      c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.RUNNING));
      FlowDetail stored = c.getFlowDetails(fd.uuid());
      FlowDetail written =
          c.updateFlowDetails(
              stored.withAtoms(
                  java.util.List.of(
                      ((TaskDetail) stored.atoms().get(0)).put(AtomState.SUCCESS, 1))));
      assertThat(written.atoms().get(0).revision()).isEqualTo(3);
      assertThat(stateInMetadata(td)).isEqualTo("SUCCESS");
      assertThat(c.getAtomDetails(td.uuid())).isEqualTo(written.atoms().get(0));
    }
  }
}
