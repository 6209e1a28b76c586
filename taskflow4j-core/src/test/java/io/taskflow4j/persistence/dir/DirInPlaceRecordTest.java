package io.taskflow4j.persistence.dir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.StoreVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code durability=process} an atom's record of at most a page is rewritten over itself in
 * one write ({@link DirFiles#rewriteInPlace}): no temporary file, no rename, no marker file. The
 * record stays what TaskFlow and every reader read, whole, and a reader that races the write reads
 * it again.
 */
class DirInPlaceRecordTest {
  @TempDir Path dir;

  private DirBackend backend(String durability, DirWriteHook hook) {
    return TestDirBackends.open(dir, durability, hook);
  }

  private Path metadata(AtomDetail ad) {
    return dir.resolve("atom_details").resolve(ad.uuid()).resolve("metadata");
  }

  private Object inode(AtomDetail ad) throws IOException {
    return Files.readAttributes(metadata(ad), BasicFileAttributes.class).fileKey();
  }

  @SuppressWarnings("unchecked")
  private String stateInMetadata(AtomDetail ad) throws IOException {
    Map<String, Object> m = (Map<String, Object>) Json.read(Files.readAllBytes(metadata(ad)));
    return (String) ((Map<String, Object>) m.get("atom")).get("state");
  }

  @Test
  void aMarkerAndAResultAreEachOneWriteOverTheRecordAndAShorterRecordIsPadded() throws IOException {
    List<DirWriteHook.Step> steps = new CopyOnWriteArrayList<>();
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend b = backend("process", (step, path) -> steps.add(step));
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      Object inode = inode(td);
      steps.clear();

      AtomDetail running =
          c.updateAtomDetails(
              c.getAtomDetails(td.uuid())
                  .withState(AtomState.RUNNING)
                  .withMeta(Map.of("note", "x".repeat(400))));
      assertThat(steps).containsExactly(DirWriteHook.Step.RECORD_REWRITTEN);
      assertThat(stateInMetadata(td)).as("what TaskFlow reads").isEqualTo("RUNNING");
      assertThat(metadata(td).resolveSibling(AtomMarker.MARKER)).doesNotExist();
      long size = Files.size(metadata(td));

      steps.clear();
      AtomDetail done =
          c.updateAtomDetails(((TaskDetail) running).put(AtomState.SUCCESS, 7).withMeta(Map.of()));
      assertThat(steps).containsExactly(DirWriteHook.Step.RECORD_REWRITTEN);
      assertThat(inode(td)).as("the same file, never replaced").isEqualTo(inode);
      byte[] raw = Files.readAllBytes(metadata(td));
      assertThat(raw).as("never truncated: padded with spaces").hasSize((int) size);
      assertThat(raw[raw.length - 1]).isEqualTo((byte) ' ');
      assertThat(stateInMetadata(td)).isEqualTo("SUCCESS");
      assertThat(c.getAtomDetails(td.uuid())).isEqualTo(done);
    }
    try (DirBackend b = backend("process", DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      AtomDetail read = c.getAtomDetails(td.uuid());
      assertThat(read.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(read.revision()).isEqualTo(3);
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
    }
  }

  @Test
  void aRecordLargerThanAPageIsReplacedWithEitherDurability() throws IOException {
    List<DirWriteHook.Step> steps = new CopyOnWriteArrayList<>();
    TaskDetail big = TaskDetail.create("big");
    TaskDetail small = TaskDetail.create("small");
    TaskDetail big2 = TaskDetail.create("big2");
    try (DirBackend b = backend("process", (step, path) -> steps.add(step));
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(big)));
      Object inode = inode(big);
      steps.clear();
      AtomDetail done =
          c.updateAtomDetails(
              ((TaskDetail) c.getAtomDetails(big.uuid()))
                  .put(AtomState.SUCCESS, "y".repeat(DirFiles.IN_PLACE_MAX)));
      assertThat(steps).contains(DirWriteHook.Step.RENAMED);
      assertThat(steps).doesNotContain(DirWriteHook.Step.RECORD_REWRITTEN);
      assertThat(inode(big)).isNotEqualTo(inode);
      assertThat(c.getAtomDetails(big.uuid())).isEqualTo(done);
    }
    steps.clear();
    try (DirBackend b = backend("power", (step, path) -> steps.add(step));
        Connection c = b.getConnection()) {
      c.saveLogBook(
          LogBook.create("lb2").withFlow(FlowDetail.create("f").withAtom(small).withAtom(big2)));
      steps.clear();
      // Within a page, power commits it (see DirCommitFrameTest); beyond, it is replaced.
      c.updateAtomDetails(((TaskDetail) c.getAtomDetails(small.uuid())).put(AtomState.SUCCESS, 1));
      assertThat(steps).doesNotContain(DirWriteHook.Step.RENAMED);
      steps.clear();
      Object inode = inode(big2);
      AtomDetail done =
          c.updateAtomDetails(
              ((TaskDetail) c.getAtomDetails(big2.uuid()))
                  .put(AtomState.SUCCESS, "y".repeat(DirFiles.IN_PLACE_MAX)));
      assertThat(steps).contains(DirWriteHook.Step.RENAMED, DirWriteHook.Step.FILE_SYNCED);
      assertThat(steps)
          .doesNotContain(DirWriteHook.Step.RECORD_REWRITTEN, DirWriteHook.Step.MARKER_WRITTEN);
      assertThat(inode(big2)).isNotEqualTo(inode);
      assertThat(c.getAtomDetails(big2.uuid())).isEqualTo(done);
    }
  }

  /**
   * What a reader can read half-written is told from a whole record: the start of a new write over
   * the rest of the old (its seal is not its revision), and a shorter record over the tail of a
   * longer one (something follows its JSON object). Left so, it reads as damaged.
   */
  @Test
  void aRecordReadHalfWrittenIsToldFromAWholeOne() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    byte[] shorter;
    byte[] longer;
    try (DirBackend b = backend("process", DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      AtomDetail running =
          c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.RUNNING));
      shorter = Files.readAllBytes(metadata(td)).clone();
      c.updateAtomDetails(((TaskDetail) running).put(AtomState.SUCCESS, "r".repeat(300)));
      longer = Files.readAllBytes(metadata(td));
    }
    String json = new String(shorter, java.nio.charset.StandardCharsets.UTF_8).strip();
    assertThat(json).startsWith("{\"tf4j_seal\":2,");
    byte[] newStartOldRest = longer.clone();
    System.arraycopy(shorter, 0, newStartOldRest, 0, 20); // seal 2 over a record of revision 3
    byte[] shortOverLongTail = longer.clone();
    byte[] whole = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    System.arraycopy(whole, 0, shortOverLongTail, 0, whole.length);
    // New bytes, then old, then new again (two threads copying the page at once): both seals
    // new, the JSON valid; only the checksum tells.
    byte[] newOldNew = longer.clone();
    int r = new String(longer, java.nio.charset.StandardCharsets.UTF_8).indexOf("rrrr");
    Arrays.fill(newOldNew, r + 10, r + 20, (byte) 'a');
    Map<byte[], String> expected =
        Map.of(
            newStartOldRest,
            "(?s).*(its seal \\(2\\) is not its revision \\(3\\)|its checksum does not match)"
                + ".*half-written.*",
            shortOverLongTail,
            "(?s).*(not valid JSON|follows its JSON object|its checksum does not match).*",
            newOldNew,
            "(?s).*its checksum does not match: it was read half-written.*");
    for (Map.Entry<byte[], String> torn : expected.entrySet()) {
      Files.write(metadata(td), torn.getKey());
      try (DirBackend b = backend("process", DirWriteHook.NONE);
          Connection c = b.getConnection()) {
        assertThatThrownBy(() -> c.getAtomDetails(td.uuid()))
            .isInstanceOf(io.taskflow4j.persistence.CorruptRecordException.class)
            .hasMessageMatching(torn.getValue());
      }
    }
    Files.write(metadata(td), longer);
    try (DirBackend b = backend("process", DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      assertThat(c.getAtomDetails(td.uuid()).state()).isEqualTo(AtomState.SUCCESS);
    }
  }

  /**
   * A reader racing in-place rewrites of a record that grows and shrinks never reports it damaged
   * and always reads one of the versions written.
   */
  @Test
  void readersRacingInPlaceRewritesReadAWholeRecordEveryTime() throws Exception {
    TaskDetail td = TaskDetail.create("t");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    AtomicBoolean stop = new AtomicBoolean();
    try (DirBackend writer = backend("process", DirWriteHook.NONE);
        DirBackend reader = backend("process", DirWriteHook.NONE);
        Connection w = writer.getConnection();
        Connection r = reader.getConnection()) {
      w.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      List<Map<String, Object>> metas =
          List.of(Map.of("k", "a".repeat(900)), Map.of("k", "b".repeat(30)));
      Future<Integer> writes =
          pool.submit(
              () -> {
                AtomDetail cur = w.getAtomDetails(td.uuid());
                int n = 0;
                while (!stop.get()) {
                  cur = w.updateAtomDetails(cur.withMeta(metas.get(n++ % 2)));
                }
                return n;
              });
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
      int reads = 0;
      while (System.nanoTime() < deadline) {
        AtomDetail read = r.getAtomDetails(td.uuid());
        assertThat(List.of(Map.of(), metas.get(0), metas.get(1))).contains(read.meta());
        reads++;
      }
      stop.set(true);
      assertThat(writes.get(30, TimeUnit.SECONDS)).isGreaterThan(100);
      assertThat(reads).isGreaterThan(100);
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
  }
}
