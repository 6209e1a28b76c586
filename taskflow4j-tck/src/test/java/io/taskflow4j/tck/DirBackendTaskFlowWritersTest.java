package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.dir.DirBackend;
import io.taskflow4j.persistence.dir.DirWriteHook;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory backend sharing a store with OpenStack TaskFlow's own {@code dir} backend, whose
 * writes are simulated here the way TaskFlow makes them: each metadata file rewritten in place from
 * {@code to_dict()} (so without taskflow4j's {@code revision}, {@code seq}, {@code next_seq} and
 * {@code parent} keys), under a {@code lockf} lock on {@code <object dir>/lock}; every symlink in
 * an object directory is a child to TaskFlow.
 */
class DirBackendTaskFlowWritersTest {
  // TaskFlow writes a new record of its own keys: every key of ours goes.
  private static final List<String> OUR_KEYS =
      List.of("tf4j_seal", "tf4j_crc", "revision", "seq", "next_seq", "parent");

  @TempDir Path tmp;
  DirBackend backend;
  Connection conn;

  Path store() {
    return tmp.resolve("store");
  }

  @BeforeEach
  void open() {
    backend = backend(DirWriteHook.NONE);
    conn = backend.getConnection();
    conn.upgrade();
  }

  @AfterEach
  void close() {
    conn.close();
    backend.close();
  }

  private DirBackend backend(DirWriteHook hook) {
    BackendConf conf =
        BackendConf.of(
            Map.of("connection", "dir", "path", store().toString(), "durability", "process"));
    return DirBackend.builder(conf).writeHook(hook).build();
  }

  private Path file(String kindDir, String uuid) {
    return store().resolve(kindDir).resolve(uuid).resolve("metadata");
  }

  /**
   * Rewrites a record as TaskFlow does: in place, from the fields it knows (our keys dropped),
   * after applying {@code change} to them.
   */
  @SuppressWarnings("unchecked")
  static void rewriteAsTaskFlow(Path metadata, Consumer<Map<String, Object>> change)
      throws IOException {
    Map<String, Object> m =
        new LinkedHashMap<>((Map<String, Object>) Json.read(Files.readAllBytes(metadata)));
    OUR_KEYS.forEach(m::remove);
    if (m.get("atom") instanceof Map<?, ?> inner) {
      m.put("atom", new LinkedHashMap<>((Map<String, Object>) inner));
    }
    change.accept(m);
    Files.write(metadata, Json.writeBytes(m)); // truncate and write, as TaskFlow's _write_to
  }

  @SuppressWarnings("unchecked")
  private static void setAtomState(Map<String, Object> m, String state) {
    ((Map<String, Object>) m.get("atom")).put("state", state);
  }

  // ------------------------------------------------------------------ revisions

  @Test
  void aCopyFromBeforeATaskFlowRewriteIsRefusedEvenAfterANewerCopyWasWritten() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    AtomDetail before = conn.getAtomDetails(td.uuid());
    assertThat(before.revision()).isEqualTo(1);

    rewriteAsTaskFlow(file("atom_details", td.uuid()), m -> setAtomState(m, "RUNNING"));

    // (a) the copy from before TaskFlow's write is stale.
    assertThatThrownBy(() -> conn.updateAtomDetails(before.put(AtomState.SUCCESS, "stale")))
        .isInstanceOf(ConflictException.class);
    // (b) a copy read after it is current, and its write is accepted.
    AtomDetail after = conn.getAtomDetails(td.uuid());
    assertThat(after.state()).isEqualTo(AtomState.RUNNING);
    assertThat(after.revision()).isNotEqualTo(before.revision()).isNotZero();
    AtomDetail written = conn.updateAtomDetails(after.put(AtomState.SUCCESS, "fresh"));
    assertThat(written.revision()).isEqualTo(after.revision() + 1);
    // The fault this guards against: that write must not have made the old copy current again.
    assertThatThrownBy(() -> conn.updateAtomDetails(before.put(AtomState.SUCCESS, "stale")))
        .isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> conn.updateAtomDetails(after.put(AtomState.SUCCESS, "stale too")))
        .isInstanceOf(ConflictException.class);
    // (c) our counters go on from there.
    AtomDetail next = conn.updateAtomDetails(written.put(AtomState.SUCCESS, "next"));
    assertThat(next.revision()).isEqualTo(written.revision() + 1);
    assertThat(conn.getAtomDetails(td.uuid())).isEqualTo(next);

    // A second TaskFlow write, even of the same content as before, makes `next` stale.
    rewriteAsTaskFlow(file("atom_details", td.uuid()), m -> {});
    assertThatThrownBy(() -> conn.updateAtomDetails(next.withMetaEntries(Map.of("k", 1))))
        .isInstanceOf(ConflictException.class);
    AtomDetail reread = conn.getAtomDetails(td.uuid());
    assertThat(((TaskDetail) reread).results()).isEqualTo("next");
    assertThat(conn.updateAtomDetails(reread.withMetaEntries(Map.of("k", 1))).revision())
        .isEqualTo(reread.revision() + 1);
  }

  @Test
  void aFlowDetailCopyFromBeforeATaskFlowRewriteIsRefused() throws IOException {
    FlowDetail fd = FlowDetail.create("f");
    LogBook book = conn.saveLogBook(LogBook.create("b").withFlow(fd));
    FlowDetail before = conn.getFlowDetails(fd.uuid(), true);

    rewriteAsTaskFlow(file("flow_details", fd.uuid()), m -> m.put("state", "RUNNING"));

    assertThatThrownBy(() -> conn.updateFlowDetails(before.withState(FlowState.FAILURE)))
        .isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> conn.saveLogBook(book.withFlow(before.withState(FlowState.FAILURE))))
        .isInstanceOf(ConflictException.class);
    FlowDetail after = conn.getFlowDetails(fd.uuid(), true);
    assertThat(after.state()).isEqualTo(FlowState.RUNNING);
    FlowDetail written = conn.updateFlowDetails(after.withState(FlowState.SUCCESS));
    assertThat(written.revision()).isEqualTo(after.revision() + 1);
    assertThatThrownBy(() -> conn.updateFlowDetails(before.withState(FlowState.FAILURE)))
        .isInstanceOf(ConflictException.class);
    assertThat(conn.getFlowDetails(fd.uuid(), true).state()).isEqualTo(FlowState.SUCCESS);
  }

  // ------------------------------------------------------------------ order

  @Test
  void childrenKeepTheirOrderWhenTaskFlowRewritesEveryFile() throws IOException {
    List<String> atomOrder = new ArrayList<>();
    List<AtomDetail> first = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      TaskDetail td = TaskDetail.create("t" + i);
      first.add(td);
      atomOrder.add(td.uuid());
    }
    FlowDetail f1 = FlowDetail.create("f1").withAtoms(first);
    FlowDetail f2 = FlowDetail.create("f2");
    LogBook book = conn.saveLogBook(LogBook.create("b").withFlow(f1).withFlow(f2));
    FlowDetail current = conn.getFlowDetails(f1.uuid());
    for (int i = 8; i < 12; i++) {
      TaskDetail td = TaskDetail.create("t" + i);
      atomOrder.add(td.uuid());
      current = conn.updateFlowDetails(current.withAtom(td));
    }
    FlowDetail f3 = FlowDetail.create("f3");
    conn.saveLogBook(conn.getLogBook(book.uuid(), true).withFlow(f3));
    List<String> flowOrder = List.of(f1.uuid(), f2.uuid(), f3.uuid());
    assertThat(uuids(conn.getAtomsForFlow(f1.uuid()))).isEqualTo(atomOrder);

    // TaskFlow's update_flow_details / save_logbook: every file rewritten without our keys.
    rewriteAsTaskFlow(file("books", book.uuid()), m -> {});
    for (String f : flowOrder) {
      rewriteAsTaskFlow(file("flow_details", f), m -> m.put("state", "RUNNING"));
    }
    for (String a : atomOrder) {
      rewriteAsTaskFlow(file("atom_details", a), m -> setAtomState(m, "RUNNING"));
    }

    assertThat(uuids(conn.getAtomsForFlow(f1.uuid()))).isEqualTo(atomOrder);
    assertThat(conn.getFlowsForBook(book.uuid())).extracting(FlowDetail::uuid).isEqualTo(flowOrder);
    // Our next writes keep the order and add after the last child.
    FlowDetail reread = conn.getFlowDetails(f1.uuid());
    TaskDetail added = TaskDetail.create("added");
    atomOrder.add(added.uuid());
    conn.updateFlowDetails(reread.withState(FlowState.SUCCESS).withAtom(added));
    conn.updateAtomDetails(
        conn.getAtomDetails(atomOrder.get(0)).put(AtomState.SUCCESS, "first stays first"));
    FlowDetail f4 = FlowDetail.create("f4");
    conn.saveLogBook(conn.getLogBook(book.uuid()).withFlow(f4));
    assertThat(uuids(conn.getAtomsForFlow(f1.uuid()))).isEqualTo(atomOrder);
    assertThat(conn.getFlowsForBook(book.uuid()))
        .extracting(FlowDetail::uuid)
        .containsExactly(f1.uuid(), f2.uuid(), f3.uuid(), f4.uuid());
  }

  private static List<String> uuids(List<AtomDetail> atoms) {
    return atoms.stream().map(AtomDetail::uuid).toList();
  }

  // ------------------------------------------------------------------ object locks

  /** Holds {@code <file>}'s whole-file lock (as TaskFlow's lockf does) until stdin says so. */
  public static final class LockHolder {
    private LockHolder() {}

    /** Argument: the lock file. Prints "locked", releases after reading a line or EOF. */
    public static void main(String[] args) throws IOException {
      try (FileChannel ch =
              FileChannel.open(
                  Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        System.out.println("locked");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      }
    }
  }

  @Test
  @Timeout(120)
  void writesWaitWhileAnotherProcessHoldsTheObjectsLock() throws Exception {
    TaskDetail td = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(td);
    LogBook book = conn.saveLogBook(LogBook.create("b").withFlow(fd));
    Path atomLock = store().resolve("atom_details").resolve(td.uuid()).resolve("lock");
    Path flowLock = store().resolve("flow_details").resolve(fd.uuid()).resolve("lock");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      AtomDetail atom = conn.getAtomDetails(td.uuid());
      assertWaitsForLock(
          atomLock,
          pool,
          () -> conn.updateAtomDetails(atom.put(AtomState.SUCCESS, "after the lock")));
      assertThat(((TaskDetail) conn.getAtomDetails(td.uuid())).results())
          .isEqualTo("after the lock");

      // A save holds the lock of every object it writes, here the flow detail's.
      FlowDetail flow = conn.getFlowDetails(fd.uuid(), true);
      assertWaitsForLock(
          flowLock,
          pool,
          () -> conn.saveLogBook(book.withoutFlows().withFlow(flow.withState(FlowState.SUCCESS))));
      assertThat(conn.getFlowDetails(fd.uuid(), true).state()).isEqualTo(FlowState.SUCCESS);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Starts a JVM holding {@code lock}, runs {@code write}: it must finish only after release. */
  private void assertWaitsForLock(Path lock, ExecutorService pool, Runnable write)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process holder =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                LockHolder.class.getName(),
                lock.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("locked");
      Future<?> pending = pool.submit(write);
      assertThatThrownBy(() -> pending.get(1, TimeUnit.SECONDS))
          .as("the write went ahead while another process held " + lock.getFileName())
          .isInstanceOf(TimeoutException.class);
      // Reads take no lock: they go on meanwhile.
      assertThat(conn.getLogBooks()).hasSize(1);
      OutputStream in = holder.getOutputStream();
      in.write("release\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
      pending.get(60, TimeUnit.SECONDS);
      assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(holder.exitValue()).isZero();
    } finally {
      holder.destroyForcibly();
    }
  }

  /**
   * TaskFlow makes an object's lock file the first time it reads or writes the object; an object
   * without one was never touched by TaskFlow, and our writes exclude each other by the store's
   * lock, so a write makes none (a file creation per atom saved).
   */
  @Test
  void writesTakeTaskFlowsLockFilesWhereTheyExistMakeNoneAndReadsMakeNothing() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(td);
    conn.saveLogBook(LogBook.create("b").withFlow(fd));
    Path atomLock = store().resolve("atom_details").resolve(td.uuid()).resolve("lock");
    Map<Path, String> before = DirBackendTest.snapshot(store());
    conn.getLogBooks();
    conn.getAtomDetails(td.uuid());
    conn.getFlowDetails(fd.uuid());
    assertThat(DirBackendTest.snapshot(store())).isEqualTo(before);

    conn.updateAtomDetails(conn.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 1));
    assertThat(atomLock).doesNotExist();
    Files.writeString(atomLock, ""); // as TaskFlow's first look at the atom leaves it
    conn.updateAtomDetails(conn.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 2));
    assertThat(atomLock).isRegularFile();
    // The lock file is not a child, nor anything else to our readers.
    assertThat(conn.getFlowDetails(fd.uuid()).atoms()).hasSize(1);
    conn.upgrade();
    assertThat(((TaskDetail) conn.getAtomDetails(td.uuid())).results()).isEqualTo(2);
  }

  /**
   * TaskFlow's reader makes an object directory holding only its lock file when it looks up an
   * object that does not exist; a save of that object replaces it while holding its lock.
   */
  @Test
  void aSaveReplacesATaskFlowPhantomDirectoryWhoseLockItHolds() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(td);
    for (Path phantom :
        List.of(
            store().resolve("atom_details").resolve(td.uuid()),
            store().resolve("flow_details").resolve(fd.uuid()))) {
      Files.createDirectories(phantom);
      Files.writeString(phantom.resolve("lock"), "");
    }
    LogBook saved = conn.saveLogBook(LogBook.create("b").withFlow(fd));
    assertThat(conn.getLogBook(saved.uuid())).isEqualTo(saved);
    assertThat(conn.getAtomDetails(td.uuid()).revision()).isEqualTo(1);
  }

  /** Stores written before positions were times: small {@code seq}s, links made in that order. */
  @Test
  void childrenOfAnOlderStoreKeepTheirRecordedOrder() throws IOException {
    TaskDetail probe = TaskDetail.create("probe");
    FlowDetail fd = FlowDetail.create("f").withAtom(probe);
    conn.saveLogBook(LogBook.create("b").withFlow(fd));
    Path flowDir = store().resolve("flow_details").resolve(fd.uuid());
    Files.delete(flowDir.resolve(probe.uuid()));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      // Uuids that sort against their position, so ordering by uuid would fail.
      String uuid = (char) ('f' - i) + "-old-" + i;
      expected.add(uuid);
      Path dir = store().resolve("atom_details").resolve(uuid);
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve("metadata"),
          "{\"atom\": {\"name\": \"old"
              + i
              + "\", \"uuid\": \""
              + uuid
              + "\", \"state\":"
              + " \"PENDING\", \"intention\": \"EXECUTE\", \"meta\": {}, \"version\": null,"
              + " \"results\": null, \"failure\": null, \"revert_results\": null,"
              + " \"revert_failure\": null}, \"type\": \"TASK_DETAIL\", \"revision\": 1,"
              + " \"seq\": "
              + i
              + ", \"parent\": \""
              + fd.uuid()
              + "\"}");
      Files.createSymbolicLink(flowDir.resolve(uuid), dir);
    }
    assertThat(uuids(conn.getAtomsForFlow(fd.uuid()))).isEqualTo(expected);
    TaskDetail added = TaskDetail.create("new");
    expected.add(added.uuid());
    conn.updateFlowDetails(conn.getFlowDetails(fd.uuid()).withAtom(added));
    assertThat(uuids(conn.getAtomsForFlow(fd.uuid()))).isEqualTo(expected);
  }

  // ------------------------------------------------------------------ temporaries

  @Test
  void anUpdateRemakesTheStagingDirectoryWhenItWasRemoved() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    Path staging = store().resolve(".tmp");
    assertThat(staging).isEmptyDirectory();
    Files.delete(staging);
    // A result larger than a page: its record is replaced (staged, renamed), not rewritten.
    String big = "ok".repeat(3000);
    conn.updateAtomDetails(conn.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, big));
    assertThat(((TaskDetail) conn.getAtomDetails(td.uuid())).results()).isEqualTo(big);
    assertThat(staging).isEmptyDirectory();
  }

  @Test
  void noTemporaryEverAppearsInsideAnObjectDirectory() throws IOException {
    List<String> seen = new ArrayList<>();
    List<String> violations = new ArrayList<>();
    Path root = store();
    DirWriteHook hook =
        (step, path) -> {
          seen.add(step.name());
          if (step == DirWriteHook.Step.LINK_CREATED || step == DirWriteHook.Step.TEMP_WRITTEN) {
            for (String kind : List.of("books", "flow_details", "atom_details")) {
              try (Stream<Path> objects = Files.list(root.resolve(kind))) {
                for (Path obj : (Iterable<Path>) objects::iterator) {
                  try (Stream<Path> inside = Files.list(obj)) {
                    inside
                        .filter(p -> p.getFileName().toString().startsWith("."))
                        .forEach(p -> violations.add(step + ": " + root.relativize(p)));
                  }
                }
              }
            }
          }
        };
    try (DirBackend b = backend(hook);
        Connection c = b.getConnection()) {
      TaskDetail td = TaskDetail.create("t");
      FlowDetail fd = FlowDetail.create("f").withAtom(td);
      LogBook book = c.saveLogBook(LogBook.create("b").withFlow(fd));
      seen.clear();
      // Links added to existing objects, and an in-place update of each kind.
      FlowDetail grown =
          c.updateFlowDetails(c.getFlowDetails(fd.uuid()).withAtom(TaskDetail.create("t2")));
      c.saveLogBook(c.getLogBook(book.uuid(), true).withFlow(FlowDetail.create("f2")));
      c.updateAtomDetails(grown.atoms().get(0).put(AtomState.SUCCESS, 1));
      assertThat(seen).filteredOn("LINK_CREATED"::equals).hasSizeGreaterThanOrEqualTo(2);
      assertThat(seen).filteredOn("TEMP_WRITTEN"::equals).hasSizeGreaterThanOrEqualTo(3);
    }
    assertThat(violations).isEmpty();
  }
}
