package io.taskflow4j.persistence.dir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.StoreVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory store's write path: no exception thrown and caught for files that are expectedly
 * missing (an exception costs several times the system call it stands for), links short enough to
 * live in their inode, and the cases that the cheaper checks must still get right: something in the
 * way of a new atom, a link left without its atom.
 */
class DirHotPathTest {
  @TempDir Path dir;

  private static LinearFlow chain(int n) {
    LinearFlow f = LinearFlow.of("chain");
    for (int i = 1; i <= n; i++) {
      f.add(Task.of("t" + i, () -> 1).provides("v" + i));
    }
    return f;
  }

  private void runChain(Backend b, int n) {
    try (Engine e = Engines.load(chain(n)).backend(b).logBook(LogBook.create("run")).build()) {
      e.run();
      assertThat(e.flowState()).isEqualTo(FlowState.SUCCESS);
    }
  }

  /** The frames of exceptions thrown in the directory store's code while {@code body} ran. */
  private static List<String> exceptionsThrownByTheStore(Runnable body) throws IOException {
    Path file = Files.createTempFile("dir-hot-path", ".jfr");
    try (Recording r = new Recording()) {
      r.enable("jdk.JavaExceptionThrow").withStackTrace();
      r.start();
      body.run();
      r.stop();
      r.dump(file);
      List<String> out = new ArrayList<>();
      for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
        if (e.getStackTrace() == null) {
          continue;
        }
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
          String type = f.getMethod().getType().getName();
          if (type.startsWith("io.taskflow4j.persistence.dir.")) {
            out.add(
                e.getClass("thrownClass").getName()
                    + " in "
                    + type
                    + "."
                    + f.getMethod().getName());
            break;
          }
        }
      }
      return out;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void aChainOnADirectoryStoreThrowsNoExceptionPerTaskAtEitherDurability() throws IOException {
    for (String durability : List.of("process", "power")) {
      Path store = dir.resolve(durability);
      try (Backend b = Backends.open("dir://" + store + "?durability=" + durability)) {
        runChain(b, 5); // the store made, its first write tidied: once per backend
        List<String> thrown = exceptionsThrownByTheStore(() -> runChain(b, 40));
        // A new book and flow are each looked for once a run; nothing per task or per atom.
        assertThat(thrown)
            .as(durability + ": " + thrown.size() + ", first " + thrown.stream().limit(4).toList())
            .hasSizeLessThanOrEqualTo(8);
      }
      assertThat(StoreVerifier.verify("dir://" + store).problems()).isEmpty();
    }
  }

  @Test
  void linksAreRelativeSoAMovedStoreStillResolvesThem() throws IOException {
    Path store = dir.resolve("before");
    try (Backend b = Backends.open("dir://" + store + "?durability=process")) {
      runChain(b, 3);
    }
    Path moved = Files.move(store, dir.resolve("after"));
    List<Path> links;
    try (Stream<Path> s = Files.walk(moved)) {
      links = s.filter(Files::isSymbolicLink).toList();
    }
    assertThat(links).hasSize(4); // the book's flow, the flow's three atoms
    for (Path link : links) {
      assertThat(Files.readSymbolicLink(link).isAbsolute()).as(link.toString()).isFalse();
      assertThat(link.toRealPath()).startsWith(moved.toRealPath());
      assertThat(link.resolve("metadata")).isRegularFile();
    }
    try (Backend b = Backends.open("dir://" + moved);
        Connection c = b.getConnection()) {
      FlowDetail fd = c.getLogBooks().get(0).flows().get(0);
      assertThat(fd.atoms()).hasSize(3).allMatch(a -> a.state() == AtomState.SUCCESS);
    }
  }

  @Test
  void aNewAtomReplacesAnEmptyDirectoryOrSetsAsideAnythingElseInItsWay() throws IOException {
    TaskDetail empty = TaskDetail.create("empty");
    TaskDetail file = TaskDetail.create("file");
    TaskDetail full = TaskDetail.create("full");
    Path atoms = dir.resolve("atom_details");
    Files.createDirectories(atoms.resolve(empty.uuid()));
    Files.writeString(atoms.resolve(file.uuid()), "not a directory");
    Files.createDirectories(atoms.resolve(full.uuid()));
    Files.writeString(atoms.resolve(full.uuid()).resolve("stray"), "left by someone");
    try (DirBackend b = TestDirBackends.open(dir, "process", DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      FlowDetail fd = FlowDetail.create("f").withAtom(empty).withAtom(file).withAtom(full);
      c.saveLogBook(LogBook.create("lb").withFlow(fd));
      for (AtomDetail ad : List.of(empty, file, full)) {
        assertThat(c.getAtomDetails(ad.uuid()).name()).isEqualTo(ad.name());
        assertThat(atoms.resolve(ad.uuid()).resolve("metadata")).isRegularFile();
      }
      assertThat(atoms.resolve(full.uuid()).resolve("stray")).doesNotExist();
    }
    // What was in the way waits in .tmp/ for the next sweep, as it always has.
    TestDirBackends.open(dir, "process", DirWriteHook.NONE).close();
    assertThat(StoreVerifier.verify("dir://" + dir).problems()).isEmpty();
  }

  @Test
  void anAtomAddedWhereADanglingLinkOfItsNameIsKeepsThatLink() throws IOException {
    TaskDetail first = TaskDetail.create("first");
    TaskDetail added = TaskDetail.create("added");
    try (DirBackend b = TestDirBackends.open(dir, "process", DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      FlowDetail fd = FlowDetail.create("f").withAtom(first);
      c.saveLogBook(LogBook.create("lb").withFlow(fd));
      // A link to an atom whose directory is gone (a crash of another writer, a hand edit).
      Path link = dir.resolve("flow_details").resolve(fd.uuid()).resolve(added.uuid());
      Files.createSymbolicLink(link, Path.of("../../atom_details", added.uuid()));
      assertThat(Files.exists(link)).as("dangling").isFalse();

      FlowDetail stored = c.getFlowDetails(fd.uuid());
      c.updateFlowDetails(stored.withAtom(added));
      assertThat(c.getFlowDetails(fd.uuid()).atoms())
          .extracting(AtomDetail::name)
          .containsExactly("first", "added");
      assertThat(link.resolve("metadata")).isRegularFile();
    }
    assertThat(StoreVerifier.verify("dir://" + dir).problems()).isEmpty();
  }

  @Test
  void theHotPathStillSeesATaskFlowLockFileAndTakesIt() throws IOException {
    // The lock file is looked for with a stat now: one made by TaskFlow must still be found.
    TaskDetail td = TaskDetail.create("t");
    try (DirBackend b = TestDirBackends.open(dir, "process", DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("lb").withFlow(FlowDetail.create("f").withAtom(td)));
      Path lock = dir.resolve("atom_details").resolve(td.uuid()).resolve("lock");
      Files.createFile(lock);
      try (java.nio.channels.FileChannel ch =
              java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.WRITE);
          java.nio.channels.FileLock held = ch.lock()) {
        // A second process would wait; in this JVM the lock overlaps, so the write must fail:
        // proof that the store found the file and tried to lock it.
        assertThatThrownBy(
                () -> c.updateAtomDetails(c.getAtomDetails(td.uuid()).withState(AtomState.RUNNING)))
            .isInstanceOf(java.nio.channels.OverlappingFileLockException.class);
      }
    }
  }
}
