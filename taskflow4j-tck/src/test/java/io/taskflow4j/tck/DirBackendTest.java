package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.ReadOnlyStoreException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.dir.DirBackend;
import io.taskflow4j.persistence.dir.DirWriteHook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The conformance kit on {@code dir://}, plus what only the directory backend promises. */
class DirBackendTest extends BackendContractTest {

  @TempDir Path tmp;

  Path store() {
    return tmp.resolve("store");
  }

  @Override
  protected Backend newBackend() {
    return Backends.fetch(Map.of("connection", "dir", "path", store().toString()));
  }

  /**
   * Truncates the record's metadata file to half its bytes (half of what is before its padding), as
   * a torn write leaves it.
   */
  @Override
  protected void damage(CorruptRecordException.Kind kind, String uuid) throws IOException {
    String dir =
        switch (kind) {
          case LOGBOOK -> "books";
          case FLOW_DETAIL -> "flow_details";
          case ATOM_DETAIL -> "atom_details";
        };
    Path file = store().resolve(dir).resolve(uuid).resolve("metadata");
    byte[] whole = Files.readAllBytes(file);
    int content = new String(whole, java.nio.charset.StandardCharsets.UTF_8).strip().length();
    Files.write(file, java.util.Arrays.copyOf(whole, content / 2));
  }

  // ---------------------------------------------------------------- configuration

  @ParameterizedTest
  @ValueSource(strings = {"dir", "file"})
  void bothSchemesTakeTheAbsolutePathOfTheUri(String scheme) {
    Path p = tmp.resolve("by-uri-" + scheme);
    try (Backend b = Backends.open(scheme + "://" + p)) {
      assertThat(b).isInstanceOf(DirBackend.class);
      assertThat(((DirBackend) b).path()).isEqualTo(p);
      assertWorks(b);
    }
    assertThat(p.resolve("books")).isDirectory();
  }

  @Test
  void aMapWithAPathKeyWorksAndAnExplicitPathWinsOverTheUriPath() {
    Path p = tmp.resolve("by-map");
    try (Backend b = Backends.open(Map.of("connection", "dir", "path", p.toString()))) {
      assertThat(((DirBackend) b).path()).isEqualTo(p);
      assertWorks(b);
    }
    Path explicit = tmp.resolve("explicit");
    try (Backend b =
        Backends.open(
            Map.of("connection", "dir://" + tmp.resolve("ignored"), "path", explicit.toString()))) {
      assertThat(((DirBackend) b).path()).isEqualTo(explicit);
      assertWorks(b);
    }
    assertThat(tmp.resolve("ignored")).doesNotExist();
  }

  private static void assertWorks(Backend b) {
    try (Connection c = b.getConnection()) {
      LogBook lb = c.saveLogBook(LogBook.create("probe"));
      assertThat(c.getLogBook(lb.uuid()).name()).isEqualTo("probe");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dir", "dir://", "file://", "dir:"})
  void aMissingPathIsAnInvalidConfigurationWithAnExample(String connection) {
    assertThatThrownBy(() -> Backends.fetch(connection))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("path")
        .hasMessageContaining("dir:///");
    assertThatThrownBy(() -> Backends.fetch(Map.of("connection", "dir", "path", " ")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("dir:///");
  }

  @Test
  void aHostInADirectoryUriIsRefusedSinceItUsuallyMeansAForgottenSlash() {
    assertThatThrownBy(() -> Backends.fetch("dir://var/lib/flows"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'var'")
        .hasMessageContaining("three slashes");
    try (Backend b = Backends.fetch("file://localhost" + tmp.resolve("local"))) {
      assertThat(((DirBackend) b).path()).isEqualTo(tmp.resolve("local"));
    }
  }

  @Test
  void badKeysAreInvalidConfigurationsNamingTheKey() {
    String uri = "dir://" + tmp.resolve("conf");
    assertThatThrownBy(() -> Backends.fetch(uri + "?durability=bogus"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("durability")
        .hasMessageContaining("bogus")
        .hasMessageContaining("power");
    assertThatThrownBy(() -> Backends.fetch(uri + "?max_cache_size=0"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("max_cache_size");
    assertThatThrownBy(() -> Backends.fetch(uri + "?max_cache_size=lots"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("max_cache_size");
    assertThatThrownBy(() -> Backends.fetch(uri + "?permissions=everyone"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("permissions");
    assertThatThrownBy(() -> Backends.fetch(uri + "?encoding=latin-1"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("encoding");
    assertThatThrownBy(() -> Backends.fetch(uri + "?sweep_on_upgrade=maybe"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("sweep_on_upgrade");
    // Valid values are accepted.
    Backends.fetch(uri + "?durability=PROCESS&max_cache_size=10&encoding=UTF-8").close();
    assertThat(tmp.resolve("conf")).doesNotExist(); // fetch touches nothing
  }

  // ---------------------------------------------------------------- layout

  @Test
  void theStoreHasTaskFlowsLayoutWithAbsoluteLinksAndRevisionKeys() throws IOException {
    TaskDetail td = TaskDetail.create("t1").withVersion("1.0").put(AtomState.SUCCESS, 2);
    RetryDetail rd = RetryDetail.create("r1");
    FlowDetail fd = FlowDetail.create("f1").withAtom(td).withAtom(rd);
    LogBook lb = LogBook.create("book1").withFlow(fd);
    conn.saveLogBook(lb);
    Path root = store().toAbsolutePath();

    Map<?, ?> book = readJson(root.resolve("books/" + lb.uuid() + "/metadata"));
    assertThat(book.get("name")).isEqualTo("book1");
    assertThat(book.get("uuid")).isEqualTo(lb.uuid());
    assertThat(new ArrayList<Object>(((Map<?, ?>) book.get("created_at")).keySet()))
        .contains("year", "month", "day", "hour", "minute", "second", "microsecond");
    Path fdLink = root.resolve("books/" + lb.uuid() + "/" + fd.uuid());
    assertThat(Files.isSymbolicLink(fdLink)).isTrue();
    // Relative, unlike TaskFlow's (it reads only a link's name): short enough to live in the
    // link's inode, and still right after the store is moved.
    assertThat(Files.readSymbolicLink(fdLink))
        .isEqualTo(Path.of("../../flow_details/" + fd.uuid()));
    assertThat(fdLink.toRealPath())
        .isEqualTo(root.resolve("flow_details/" + fd.uuid()).toRealPath());

    Map<?, ?> flow = readJson(root.resolve("flow_details/" + fd.uuid() + "/metadata"));
    assertThat(flow.get("name")).isEqualTo("f1");
    assertThat(flow.get("state")).isEqualTo("PENDING");
    assertThat(flow.get("uuid")).isEqualTo(fd.uuid());
    assertThat(flow.get("revision")).isEqualTo(1);
    Path adLink = root.resolve("flow_details/" + fd.uuid() + "/" + td.uuid());
    assertThat(Files.readSymbolicLink(adLink))
        .isEqualTo(Path.of("../../atom_details/" + td.uuid()));
    assertThat(adLink.toRealPath())
        .isEqualTo(root.resolve("atom_details/" + td.uuid()).toRealPath());

    Map<?, ?> atom = readJson(root.resolve("atom_details/" + td.uuid() + "/metadata"));
    assertThat(atom.get("type")).isEqualTo("TASK_DETAIL");
    assertThat(atom.get("revision")).isEqualTo(1);
    Map<?, ?> inner = (Map<?, ?>) atom.get("atom");
    assertThat(inner.get("name")).isEqualTo("t1");
    assertThat(inner.get("results")).isEqualTo(2);
    assertThat(inner.get("state")).isEqualTo("SUCCESS");
    assertThat(inner.get("version")).isEqualTo("1.0");
    assertThat(inner.get("intention")).isEqualTo("EXECUTE");
    assertThat(readJson(root.resolve("atom_details/" + rd.uuid() + "/metadata")).get("type"))
        .isEqualTo("RETRY_DETAIL");

    conn.updateAtomDetails(conn.getAtomDetails(td.uuid()).withState(AtomState.REVERTED));
    assertThat(readJson(root.resolve("atom_details/" + td.uuid() + "/metadata")).get("revision"))
        .isEqualTo(2);
  }

  /** A store as TaskFlow 5 writes it: no revisions or positions, lock files, a phantom book. */
  @Test
  void aStoreWrittenByTaskFlowIsReadAndCanBeWrittenOn() throws IOException {
    Path root = store().toAbsolutePath();
    String b = UUID.randomUUID().toString();
    String f = UUID.randomUUID().toString();
    String a = UUID.randomUUID().toString();
    String phantom = UUID.randomUUID().toString();
    write(
        root.resolve("books/" + b + "/metadata"),
        "{\"name\": \"book1\", \"meta\": {}, \"uuid\": \""
            + b
            + "\", \"updated_at\": null,"
            + " \"created_at\": {\"day\": 28, \"month\": 11, \"year\": 2026, \"hour\": 15,"
            + " \"minute\": 51, \"second\": 15, \"microsecond\": 774035}}");
    write(root.resolve("books/" + b + "/lock"), "");
    Files.createSymbolicLink(
        root.resolve("books/" + b + "/" + f), root.resolve("flow_details/" + f));
    write(
        root.resolve("flow_details/" + f + "/metadata"),
        "{\"name\": \"f1\", \"meta\": {}, \"state\": \"RUNNING\", \"uuid\": \"" + f + "\"}");
    write(root.resolve("flow_details/" + f + "/lock"), "");
    Files.createSymbolicLink(
        root.resolve("flow_details/" + f + "/" + a), root.resolve("atom_details/" + a));
    write(
        root.resolve("atom_details/" + a + "/metadata"),
        "{\"atom\": {\"failure\": null, \"revert_failure\": null, \"meta\": {\"progress\": 1.0},"
            + " \"name\": \"t1\", \"results\": 2, \"revert_results\": null, \"state\": \"SUCCESS\","
            + " \"version\": \"1.0\", \"intention\": \"EXECUTE\", \"uuid\": \""
            + a
            + "\"},"
            + " \"type\": \"TASK_DETAIL\"}");
    write(root.resolve("books/" + phantom + "/lock"), ""); // TaskFlow's phantom-directory bug

    List<LogBook> books = conn.getLogBooks();
    assertThat(Fixtures.uuids(books)).containsExactly(b);
    FlowDetail fd = books.get(0).flows().get(0);
    assertThat(fd.state()).isEqualTo(FlowState.RUNNING);
    // No revision key: the revision is derived from the content, above any counter of ours.
    assertThat(fd.revision()).isGreaterThanOrEqualTo(1L << 62);
    AtomDetail ad = fd.atoms().get(0);
    assertThat(ad.name()).isEqualTo("t1");
    assertThat(((TaskDetail) ad).results()).isEqualTo(2);
    assertThat(ad.revision()).isGreaterThanOrEqualTo(1L << 62).isNotEqualTo(fd.revision());
    assertThat(conn.getAtomDetails(a).revision())
        .as("stable across reads")
        .isEqualTo(ad.revision());

    // Our writes on it: the TaskFlow child keeps its place, a new one comes after it.
    TaskDetail added = TaskDetail.create("t2");
    FlowDetail written = conn.updateFlowDetails(fd.withState(FlowState.SUCCESS).withAtom(added));
    assertThat(written.revision()).isEqualTo(fd.revision() + 1);
    // The flow update upserted the atom it carried, so the copy read before is stale now.
    assertThatThrownBy(() -> conn.updateAtomDetails(ad.withState(AtomState.REVERTED)))
        .isInstanceOf(ConflictException.class);
    AtomDetail upserted = written.atoms().get(0);
    assertThat(upserted.revision()).isEqualTo(ad.revision() + 1);
    assertThat(conn.updateAtomDetails(upserted.withState(AtomState.REVERTED)).revision())
        .isEqualTo(ad.revision() + 2);
    FlowDetail reread = conn.getFlowDetails(f);
    assertThat(reread.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(reread.atoms()).extracting(AtomDetail::name).containsExactly("t1", "t2");
    assertThatThrownBy(() -> conn.getLogBook(phantom)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void childrenKeepInsertionOrderAcrossReopenAndLaterAdditions() {
    FlowDetail fd = FlowDetail.create("f");
    LogBook lb = LogBook.create("b").withFlow(fd);
    conn.saveLogBook(lb);
    List<String> expected = new ArrayList<>();
    FlowDetail current = conn.getFlowDetails(fd.uuid());
    for (int i = 0; i < 25; i++) {
      TaskDetail td = TaskDetail.create("t" + i);
      expected.add(td.uuid());
      current = conn.updateFlowDetails(current.withAtom(td));
    }
    try (Backend other = newBackend();
        Connection c = other.getConnection()) {
      assertThat(Fixtures.uuids(c.getAtomsForFlow(fd.uuid()))).isEqualTo(expected);
    }
  }

  // ---------------------------------------------------------------- safety

  /** Ids the model accepts but that are not plain, free file names inside a store. */
  @ParameterizedTest
  @ValueSource(strings = {".hidden", ".tmp-1234", "metadata", "lock", "no-more-than-200-bytes"})
  void uuidsThatAreNotPlainFileNamesAreRefusedBeforeAnythingIsWritten(String given)
      throws IOException {
    String bad = given.equals("no-more-than-200-bytes") ? "é".repeat(101) : given;
    Map<Path, String> before = snapshot(tmp);
    String msg = "cannot be used in a directory store";
    assertThatThrownBy(
            () -> conn.saveLogBook(LogBook.of(bad, "b", null, null, Map.of(), List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Logbook uuid")
        .hasMessageContaining(msg);
    assertThatThrownBy(
            () -> conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.of("f", bad))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Flow detail uuid");
    assertThatThrownBy(
            () ->
                conn.saveLogBook(
                    LogBook.create("b")
                        .withFlow(FlowDetail.create("f").withAtom(TaskDetail.of("t", bad)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Atom detail uuid");
    assertThatThrownBy(() -> conn.updateAtomDetails(TaskDetail.of("t", bad)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> conn.updateFlowDetails(FlowDetail.of("f", bad)))
        .isInstanceOf(IllegalArgumentException.class);
    assertReadsRefuse(bad);
    assertThat(snapshot(tmp)).isEqualTo(before);
  }

  /** Ids the model itself refuses can still reach a backend as read arguments. */
  @ParameterizedTest
  @ValueSource(strings = {"..", ".", "../escape", "a/b", "a\\b", "nul\0x", "/etc", ""})
  void readsWithPathLikeUuidsAreRefusedAndTouchNothing(String bad) throws IOException {
    Map<Path, String> before = snapshot(tmp);
    assertReadsRefuse(bad);
    assertThatThrownBy(() -> conn.destroyLogBook(bad)).isInstanceOf(IllegalArgumentException.class);
    assertThat(snapshot(tmp)).isEqualTo(before);
  }

  private void assertReadsRefuse(String bad) {
    assertThatThrownBy(() -> conn.getLogBook(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be used in a directory store");
    assertThatThrownBy(() -> conn.getFlowsForBook(bad))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> conn.getFlowDetails(bad)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> conn.getAtomsForFlow(bad))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> conn.getAtomDetails(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void filesAndDirectoriesAreOwnerOnlyByDefault() throws IOException {
    assumePosix();
    conn.saveLogBook(
        LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("t"))));
    assertModes(store(), "rw-------", "rwx------");
  }

  @Test
  void groupPermissionsCanBeAskedFor() throws IOException {
    assumePosix();
    Path p = tmp.resolve("shared");
    try (Backend b = Backends.open("dir://" + p + "?permissions=group")) {
      try (Connection c = b.getConnection()) {
        c.saveLogBook(
            LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("t"))));
      }
    }
    assertModes(p, "rw-rw----", "rwxrwx---");
  }

  private static void assertModes(Path root, String file, String dir) throws IOException {
    int checked = 0;
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isSymbolicLink(p)) {
          continue;
        }
        String mode =
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        assertThat(mode).as(p.toString()).isEqualTo(Files.isDirectory(p) ? dir : file);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(8);
  }

  @Test
  void readsNeverCreateAnything() throws IOException {
    LogBook lb = conn.saveLogBook(LogBook.create("real"));
    Map<Path, String> before = snapshot(tmp);
    String unknown = UUID.randomUUID().toString();
    assertThatThrownBy(() -> conn.getLogBook(unknown)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.getLogBook(unknown, true)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.getFlowsForBook(unknown)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.getFlowDetails(unknown)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.getAtomsForFlow(unknown)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.getAtomDetails(unknown))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(unknown);
    conn.validate();
    assertThat(snapshot(tmp)).isEqualTo(before);
    assertThat(Fixtures.uuids(conn.getLogBooks())).containsExactly(lb.uuid());

    // Nor on a store that was never made: reads find nothing and leave no directory behind.
    Path never = tmp.resolve("never");
    try (Backend b = Backends.fetch("dir://" + never);
        Connection c = b.getConnection()) {
      assertThat(c.getLogBooks()).isEmpty();
      assertThatThrownBy(() -> c.getLogBook(unknown)).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(c::validate)
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("upgrade()");
      assertThatThrownBy(() -> c.saveLogBook(LogBook.create("x")))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("upgrade()");
    }
    assertThat(never).doesNotExist();
  }

  @Test
  void validateSaysWhatToDoWhenADirectoryIsMissing() throws IOException {
    LogBook lb = conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
    conn.validate();
    Files.delete(store().resolve("atom_details"));
    // TaskFlow's own stores look like this (its clear_all() removes the directories, its writes
    // make only those they write into): readable as they are, adopted by upgrade().
    assertThatThrownBy(conn::validate)
        .isInstanceOf(UpgradeRequiredException.class)
        .hasMessageContaining("'atom_details'")
        .hasMessageContaining("upgrade()")
        .hasMessageNotContaining("not writable");
    assertThat(conn.getLogBook(lb.uuid())).isEqualTo(lb);
    conn.upgrade();
    conn.validate();
  }

  @Test
  void aDirectoryWithNoneOfTheStoresDirectoriesIsNoStoreToAdopt() throws IOException {
    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty);
    try (Backend b = Backends.fetch("dir://" + empty);
        Connection c = b.getConnection()) {
      assertThatThrownBy(c::validate)
          .isInstanceOf(StorageException.class)
          .isNotInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("upgrade()");
    }
  }

  @Test
  void aReadOnlyStoreIsReadButValidateAndWritesSayItCannotBeWritten() throws IOException {
    assumePosix();
    TaskDetail td = TaskDetail.create("t").put(AtomState.SUCCESS, 1);
    LogBook lb =
        conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    conn.validate();
    assumeTrue(
        !runningAsRoot(),
        "running as root, whom file modes do not stop: a read-only store cannot be made here");
    chmodTree(store(), "r-xr-xr-x", "r--r--r--");
    try (Backend b = Backends.fetch("dir://" + store());
        Connection c = b.getConnection()) {
      Map<Path, String> before = snapshot(tmp);
      assertThat(c.getLogBook(lb.uuid())).isEqualTo(lb);
      assertThat(c.getAtomDetails(td.uuid()).revision()).isEqualTo(1);
      assertThatThrownBy(c::validate)
          .isInstanceOf(ReadOnlyStoreException.class)
          .hasMessageContaining("not writable")
          .hasMessageContaining("owner or mode");
      assertThatThrownBy(() -> c.saveLogBook(LogBook.create("x")))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("permission denied");
      assertThat(snapshot(tmp)).isEqualTo(before);
    } finally {
      chmodTree(store(), "rwx------", "rw-------");
    }
    conn.validate();
  }

  // ---------------------------------------------------------------- leftovers of killed writes

  /**
   * What killed writes leave: temporaries in .tmp/ and in an object, an unlinked object of ours.
   */
  private record Leftovers(List<Path> removable, Path foreign) {}

  private Leftovers leaveWhatKilledWritesLeave(LogBook lb, TaskDetail td) throws IOException {
    Path root = store();
    Path tempFile = root.resolve(".tmp/.tmp-t-0123456789abcdef");
    write(tempFile, "{\"atom\": {\"na");
    Path stagedBook = root.resolve(".tmp/.tmp-b-fedcba9876543210");
    write(
        stagedBook.resolve("metadata"),
        "{\"name\": \"half\", \"uuid\": \"" + UUID.randomUUID() + "\"}");
    Path inObject = root.resolve("atom_details/" + td.uuid() + "/.tmp-deadbeef");
    write(inObject, "{");
    String orphan = UUID.randomUUID().toString();
    Path orphanDir = root.resolve("flow_details/" + orphan);
    write(
        orphanDir.resolve("metadata"),
        "{\"name\": \"o\", \"meta\": {}, \"state\": \"PENDING\", \"uuid\": \""
            + orphan
            + "\", \"revision\": 1, \"parent\": \""
            + lb.uuid()
            + "\"}");
    String foreign = UUID.randomUUID().toString();
    Path foreignDir = root.resolve("flow_details/" + foreign);
    write(
        foreignDir.resolve("metadata"),
        "{\"name\": \"x\", \"meta\": {}, \"state\": \"PENDING\", \"uuid\": \"" + foreign + "\"}");
    return new Leftovers(List.of(tempFile, stagedBook, inObject, orphanDir), foreignDir);
  }

  @Test
  void theFirstWriteOfABackendTidiesWhatKilledWritesLeftAndReadsDoNot() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    LogBook lb =
        conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    Leftovers left = leaveWhatKilledWritesLeave(lb, td);

    // A backend fetched without upgrade(), as a command that only resumes or deletes opens it.
    try (Backend b = Backends.fetch("dir://" + store());
        Connection c = b.getConnection()) {
      Map<Path, String> before = snapshot(tmp);
      c.validate();
      assertThat(c.getLogBook(lb.uuid())).isEqualTo(lb);
      c.getLogBooks();
      assertThat(snapshot(tmp)).as("reads tidy nothing").isEqualTo(before);

      AtomDetail updated =
          c.updateAtomDetails(c.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, 2));
      for (Path p : left.removable()) {
        assertThat(p).as("left by a killed write").doesNotExist();
      }
      assertThat(left.foreign()).as("not ours: no owner key").exists();
      assertThat(c.getAtomDetails(td.uuid())).isEqualTo(updated);
      assertThat(c.getLogBook(lb.uuid()).flows()).hasSize(1);
    }
  }

  @Test
  void aLiveWritersTemporaryFilesAreNotTidiedFromUnderIt() throws Exception {
    TaskDetail td = TaskDetail.create("t");
    LogBook lb =
        conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    java.util.concurrent.CountDownLatch paused = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<Path> liveTemps = new java.util.concurrent.CopyOnWriteArrayList<>();
    DirWriteHook pauseAfterTheTemporaryIsWritten =
        (step, path) -> {
          if (step == DirWriteHook.Step.TEMP_WRITTEN && liveTemps.isEmpty()) {
            liveTemps.add(path);
            paused.countDown();
            try {
              go.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try (DirBackend slow =
            DirBackend.builder(BackendConf.parse("dir://" + store()))
                .writeHook(pauseAfterTheTemporaryIsWritten)
                .build();
        Backend fresh = Backends.fetch("dir://" + store())) {
      java.util.concurrent.Future<AtomDetail> live =
          pool.submit(
              () -> {
                try (Connection c = slow.getConnection()) {
                  return c.updateAtomDetails(td.put(AtomState.SUCCESS, "live"));
                }
              });
      assertThat(paused.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(liveTemps.get(0)).exists();
      // A second backend's first write tidies leftovers, but only under the store's write lock,
      // which the live write holds: it waits instead of deleting the live write's temporary.
      java.util.concurrent.Future<LogBook> second =
          pool.submit(
              () -> {
                try (Connection c = fresh.getConnection()) {
                  return c.saveLogBook(LogBook.create("second"));
                }
              });
      assertThatThrownBy(() -> second.get(500, java.util.concurrent.TimeUnit.MILLISECONDS))
          .isInstanceOf(java.util.concurrent.TimeoutException.class);
      assertThat(liveTemps.get(0)).exists();
      go.countDown();
      AtomDetail written = live.get(30, java.util.concurrent.TimeUnit.SECONDS);
      LogBook other = second.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(conn.getAtomDetails(td.uuid())).isEqualTo(written);
      assertThat(((TaskDetail) written).results()).isEqualTo("live");
      assertThat(Fixtures.uuids(conn.getLogBooks())).containsExactly(lb.uuid(), other.uuid());
    } finally {
      go.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aCorruptFileIsAStorageExceptionNamingItAndOtherBooksStayReadable() throws IOException {
    TaskDetail bad = TaskDetail.create("bad");
    LogBook broken =
        conn.saveLogBook(LogBook.create("broken").withFlow(FlowDetail.create("f").withAtom(bad)));
    LogBook fine =
        conn.saveLogBook(
            LogBook.create("fine")
                .withFlow(FlowDetail.create("g").withAtom(TaskDetail.create("ok"))));
    Path file = store().resolve("atom_details/" + bad.uuid() + "/metadata");
    byte[] whole = Files.readAllBytes(file);
    int content = new String(whole, java.nio.charset.StandardCharsets.UTF_8).strip().length();
    Files.write(file, java.util.Arrays.copyOf(whole, content / 2)); // a torn write

    assertThatThrownBy(() -> conn.getLogBook(broken.uuid()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString());
    assertThatThrownBy(() -> conn.getAtomDetails(bad.uuid()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString());
    assertThatThrownBy(() -> conn.updateAtomDetails(bad))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString());
    // The choice made: listing every book fails loudly, naming the file, rather than hide one.
    assertThatThrownBy(() -> conn.getLogBooks())
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString());
    assertThat(conn.getLogBook(fine.uuid())).isEqualTo(fine);
    assertThat(Fixtures.uuids(conn.getLogBooks(true)))
        .containsExactlyInAnyOrder(broken.uuid(), fine.uuid());

    Files.write(file, "[1, 2]".getBytes(StandardCharsets.UTF_8)); // valid JSON, wrong shape
    assertThatThrownBy(() -> conn.getAtomDetails(bad.uuid()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString());
    Files.write(file, new byte[0]); // truncated to nothing
    assertThatThrownBy(() -> conn.getAtomDetails(bad.uuid()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void anUnreadableFileIsAStorageExceptionNotARawIoError() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    Path file = store().resolve("atom_details/" + td.uuid() + "/metadata");
    Files.delete(file);
    Files.createDirectory(file); // unreadable as a file, whoever runs the test
    assertThatThrownBy(() -> conn.getAtomDetails(td.uuid()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("could not read");
    assertThatThrownBy(() -> conn.updateAtomDetails(td))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString());
  }

  /**
   * Does not run as root, CI included: root reads a file whatever its mode, so no permission error
   * can be made there. The mapping it checks (an I/O error becomes a {@code StorageException}
   * naming the file) runs in CI through {@link #anUnreadableFileIsAStorageExceptionNotARawIoError}.
   */
  @Test
  void aFileWithoutReadPermissionIsAStorageExceptionSayingSo() throws IOException {
    assumePosix();
    assumeTrue(!"root".equals(System.getProperty("user.name")), "root reads any file");
    TaskDetail td = TaskDetail.create("t");
    conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    Path file = store().resolve("atom_details/" + td.uuid() + "/metadata");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
    assertThatThrownBy(() -> conn.getAtomDetails(td.uuid()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("permission denied");
  }

  // ---------------------------------------------------------------- durability

  @Test
  void oneAtomUpdateCostsOneFsyncInPowerModeAndNoneInProcessMode() {
    assumePosix();
    for (String mode : List.of("power", "process")) {
      Map<DirWriteHook.Step, Integer> counts = new EnumMap<>(DirWriteHook.Step.class);
      boolean[] counting = {false};
      DirWriteHook hook =
          (step, path) -> {
            if (counting[0]) {
              counts.merge(step, 1, Integer::sum);
            }
          };
      // Power is the default: that case gives no durability key at all.
      BackendConf conf =
          BackendConf.of(
              mode.equals("power")
                  ? Map.of("connection", "dir", "path", tmp.resolve(mode).toString())
                  : Map.of(
                      "connection",
                      "dir",
                      "path",
                      tmp.resolve(mode).toString(),
                      "durability",
                      mode));
      try (DirBackend b = DirBackend.builder(conf).writeHook(hook).build();
          Connection c = b.getConnection()) {
        c.upgrade();
        TaskDetail td = TaskDetail.create("t");
        c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
        AtomDetail stored = c.getAtomDetails(td.uuid());
        counting[0] = true;
        c.updateAtomDetails(stored.put(AtomState.SUCCESS, 42));
        counting[0] = false;
        int fsyncs =
            counts.getOrDefault(DirWriteHook.Step.FILE_SYNCED, 0)
                + counts.getOrDefault(DirWriteHook.Step.DIR_SYNCED, 0);
        // The commit frame's sync (the metadata's own follows in the background).
        assertThat(fsyncs).as(mode).isEqualTo(mode.equals("power") ? 1 : 0);
        // With process the record is rewritten over itself in one write; with power too, after
        // its commit frame. Nothing replaced either way.
        assertThat(counts.get(DirWriteHook.Step.RENAMED)).as(mode).isNull();
        assertThat(counts.get(DirWriteHook.Step.RECORD_REWRITTEN)).as(mode).isEqualTo(1);
        assertThat(counts.get(DirWriteHook.Step.MARKER_WRITTEN))
            .as(mode)
            .isEqualTo(mode.equals("power") ? 1 : null);
        assertThat(((TaskDetail) c.getAtomDetails(td.uuid())).results()).isEqualTo(42);
      }
    }
  }

  @Test
  void upgradeSweepsWhatInterruptedWritesLeftAndReadersIgnoreIt() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    LogBook lb =
        conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    Path atomDir = store().resolve("atom_details/" + td.uuid());
    write(atomDir.resolve(".tmp-deadbeef"), "{\"atom\": {\"tru");
    Files.createDirectories(store().resolve(".tmp/.tmp-b-0123/sub"));
    write(store().resolve(".tmp/.tmp-b-0123/sub/x"), "junk");
    assertThat(conn.getLogBook(lb.uuid())).isEqualTo(lb);

    conn.upgrade();
    assertThat(atomDir.resolve(".tmp-deadbeef")).doesNotExist();
    try (Stream<Path> s = Files.list(store().resolve(".tmp"))) {
      assertThat(s).isEmpty();
    }
    assertThat(conn.getLogBook(lb.uuid())).isEqualTo(lb);
  }

  @Test
  void withoutTheFullSweepUpgradeCleansOnlyTheStagingDirectory() throws IOException {
    TaskDetail td = TaskDetail.create("t");
    conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
    Path stray = store().resolve("atom_details/" + td.uuid() + "/.tmp-cafe");
    write(stray, "{");
    write(store().resolve(".tmp/.tmp-cafe"), "{");
    try (Backend b =
            Backends.fetch(
                Map.of(
                    "connection", "dir", "path", store().toString(), "sweep_on_upgrade", "false"));
        Connection c = b.getConnection()) {
      c.upgrade();
      assertThat(stray).exists();
      assertThat(store().resolve(".tmp/.tmp-cafe")).doesNotExist();
      assertThat(c.getAtomDetails(td.uuid()).name()).isEqualTo("t");
    }
  }

  @Test
  void destroyAndClearAllLeaveNothingOnDisk() throws IOException {
    LogBook one =
        conn.saveLogBook(
            LogBook.create("one")
                .withFlow(Fixtures.flow("f", TaskDetail.create("a"), TaskDetail.create("b"))));
    LogBook two =
        conn.saveLogBook(
            LogBook.create("two").withFlow(Fixtures.flow("g", TaskDetail.create("c"))));
    conn.destroyLogBook(one.uuid());
    assertThat(entries("books")).containsExactly(two.uuid());
    assertThat(entries("flow_details")).containsExactly(two.flows().get(0).uuid());
    assertThat(entries("atom_details")).hasSize(1);
    assertThat(entries(".tmp")).isEmpty();
    conn.clearAll();
    for (String d : List.of("books", "flow_details", "atom_details", ".tmp")) {
      assertThat(entries(d)).as(d).isEmpty();
    }
    conn.validate();
    assertThat(conn.getLogBooks()).isEmpty();
  }

  private List<String> entries(String dir) throws IOException {
    try (Stream<Path> s = Files.list(store().resolve(dir))) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }

  @Test
  void orphansAreInvisibleAndUpgradeRemovesOnlyOurs() throws IOException {
    FlowDetail kept = FlowDetail.create("kept");
    LogBook lb = conn.saveLogBook(LogBook.create("b").withFlow(kept));
    Path root = store().toAbsolutePath();
    // An object a cut save put in place but never linked: its owner is recorded, no link.
    String orphan = UUID.randomUUID().toString();
    write(
        root.resolve("flow_details/" + orphan + "/metadata"),
        "{\"name\": \"o\", \"meta\": {}, \"state\": \"PENDING\", \"uuid\": \""
            + orphan
            + "\", \"revision\": 1, \"parent\": \""
            + lb.uuid()
            + "\"}");
    // An unlinked object without an owner key (TaskFlow's): not ours to judge.
    String foreign = UUID.randomUUID().toString();
    write(
        root.resolve("flow_details/" + foreign + "/metadata"),
        "{\"name\": \"x\", \"meta\": {}, \"state\": \"PENDING\", \"uuid\": \"" + foreign + "\"}");
    assertThatThrownBy(() -> conn.getFlowDetails(orphan)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.updateFlowDetails(FlowDetail.of("o", orphan)))
        .isInstanceOf(NotFoundException.class);
    assertThat(conn.getLogBook(lb.uuid()).flows())
        .extracting(FlowDetail::uuid)
        .containsExactly(kept.uuid());

    conn.upgrade();
    assertThat(root.resolve("flow_details/" + orphan)).doesNotExist();
    assertThat(root.resolve("flow_details/" + foreign)).exists();
    assertThat(root.resolve("flow_details/" + kept.uuid())).exists();
    assertThat(conn.getFlowDetails(foreign).name()).isEqualTo("x");
  }

  @Test
  void aClosedBackendRefusesWorkWithAStorageException() {
    Backend b = newBackend();
    Connection c = b.getConnection();
    b.close();
    assertThatThrownBy(b::getConnection)
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> c.saveLogBook(LogBook.create("x")))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("closed");
  }

  // ---------------------------------------------------------------- flow listings and deletes

  private Path flowFile(Path root, String flowUuid) {
    return root.resolve("flow_details").resolve(flowUuid).resolve("metadata");
  }

  /** Rewrites a flow detail's file as TaskFlow writes it: its to_dict(), none of our keys. */
  private static void rewriteAsTaskFlow(Path flowFile) throws IOException {
    Map<?, ?> stored = readJson(flowFile);
    Map<String, Object> tf = new java.util.LinkedHashMap<>();
    for (String k : List.of("name", "meta", "state", "uuid")) {
      tf.put(k, stored.get(k));
    }
    Files.write(flowFile, Json.writeBytes(tf));
  }

  @Test
  void aFlowRecordWithoutTimesReportsItsFileTimeAndAnUpdateKeepsItAsItsCreation()
      throws IOException {
    LogBook lb =
        conn.saveLogBook(
            LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("t"))));
    String fu = lb.flows().get(0).uuid();
    Path file = flowFile(store(), fu);
    Map<?, ?> stored = readJson(file);
    assertThat(stored.get("created_at"))
        .as("marshalled as TaskFlow marshals the logbook's times")
        .isInstanceOf(Map.class);
    assertThat(((Map<?, ?>) stored.get("updated_at")).keySet().stream().map(String::valueOf))
        .containsExactlyInAnyOrder(
            "year", "month", "day", "hour", "minute", "second", "microsecond");

    rewriteAsTaskFlow(file);
    java.time.Instant when = java.time.Instant.parse("2023-06-07T08:09:10.111213Z");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(when));

    FlowDetail read = conn.getFlowDetails(fu);
    assertThat(read.createdAt()).isEqualTo(when);
    assertThat(read.updatedAt()).isEqualTo(when);
    assertThat(conn.getLogBook(lb.uuid()).flows().get(0).updatedAt()).isEqualTo(when);
    io.taskflow4j.persistence.FlowSummary s =
        conn.findFlows(io.taskflow4j.persistence.FlowQuery.all()).flows().get(0);
    assertThat(s.createdAt()).isEqualTo(when);
    assertThat(s.updatedAt()).isEqualTo(when);
    assertThat(s.atoms()).isEqualTo(1);

    conn.updateFlowDetails(read.withState(FlowState.RUNNING));
    FlowDetail again = conn.getFlowDetails(fu, true);
    assertThat(again.createdAt()).as("the file time, kept as the creation").isEqualTo(when);
    assertThat(again.updatedAt()).isAfter(java.time.Instant.now().minusSeconds(60));
    assertThat(readJson(file).keySet().stream().map(String::valueOf))
        .contains("created_at", "updated_at");
  }

  @Test
  void findFlowsLeavesOutDamagedRecordsAndListsTheRest() throws IOException {
    TaskDetail good = TaskDetail.create("good").withState(AtomState.SUCCESS);
    TaskDetail bad = TaskDetail.create("bad");
    LogBook lb =
        conn.saveLogBook(
            LogBook.create("b")
                .withFlow(FlowDetail.create("ok").withAtom(good).withAtom(bad))
                .withFlow(FlowDetail.create("torn")));
    LogBook other = conn.saveLogBook(LogBook.create("other").withFlow(FlowDetail.create("o")));
    damage(CorruptRecordException.Kind.FLOW_DETAIL, lb.flows().get(1).uuid());
    damage(CorruptRecordException.Kind.ATOM_DETAIL, bad.uuid());
    damage(CorruptRecordException.Kind.LOGBOOK, other.uuid());

    io.taskflow4j.persistence.FlowPage page =
        conn.findFlows(io.taskflow4j.persistence.FlowQuery.all());
    assertThat(page.flows())
        .extracting(io.taskflow4j.persistence.FlowSummary::flowName)
        .containsExactly("ok");
    assertThat(page.flows().get(0).atomCounts())
        .as("the damaged atom record is not counted")
        .isEqualTo(Map.of(AtomState.SUCCESS, 1));
    assertThat(conn.countFlows(io.taskflow4j.persistence.FlowQuery.all()))
        .isEqualTo(Map.of(FlowState.PENDING, 1L));
  }

  @Test
  void aDamagedFlowIsDeletedUnconditionallyButNotOnARevision() throws IOException {
    LogBook lb =
        conn.saveLogBook(
            LogBook.create("b")
                .withFlow(FlowDetail.create("torn").withAtom(TaskDetail.create("t")))
                .withFlow(FlowDetail.create("kept")));
    FlowDetail torn = lb.flows().get(0);
    damage(CorruptRecordException.Kind.FLOW_DETAIL, torn.uuid());
    assertThatThrownBy(() -> conn.destroyFlowDetail(torn.uuid(), torn.revision()))
        .isInstanceOf(CorruptRecordException.class);
    conn.destroyFlowDetail(torn.uuid());
    assertThat(conn.getLogBook(lb.uuid()).flows())
        .extracting(FlowDetail::name)
        .containsExactly("kept");
    assertThat(store().resolve("flow_details").resolve(torn.uuid())).doesNotExist();
    assertThat(store().resolve("atom_details").resolve(torn.atoms().get(0).uuid())).doesNotExist();
  }

  /** A crash: the write stops dead, nothing is cleaned up. */
  private static final class Cut extends RuntimeException {
    Cut() {
      super("simulated crash");
    }
  }

  /**
   * Cuts a flow's delete after each of its steps, for a flow we wrote and for one TaskFlow wrote
   * (no parent keys): the store always reads, every link points to an object (TaskFlow fails on a
   * link to a missing flow), the flow is either whole in its book or gone from it, and {@code
   * upgrade()}'s sweep removes what the cut delete left. The book's link goes first: its directory
   * is synced before the flow's directory moves out.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aFlowDeleteCutAtEveryStepLeavesAReadableStoreThatTheSweepFinishes(boolean byTaskFlow)
      throws IOException {
    assumePosix();
    for (int at = 0; ; at++) {
      assertThat(at).as("the delete ends within 100 steps").isLessThan(100);
      Path root = tmp.resolve("cut-" + byTaskFlow + "-" + at);
      TaskDetail a1 = TaskDetail.create("a1");
      TaskDetail a2 = TaskDetail.create("a2");
      TaskDetail k = TaskDetail.create("k");
      FlowDetail gone = FlowDetail.create("gone").withAtom(a1).withAtom(a2);
      FlowDetail kept = FlowDetail.create("kept").withAtom(k);
      LogBook book = LogBook.create("b").withFlow(gone).withFlow(kept);
      try (Backend b = Backends.open("dir://" + root);
          Connection c = b.getConnection()) {
        c.saveLogBook(book);
      }
      if (byTaskFlow) {
        rewriteAsTaskFlow(flowFile(root, gone.uuid()));
        for (AtomDetail a : gone.atoms()) {
          Path f = root.resolve("atom_details").resolve(a.uuid()).resolve("metadata");
          Map<?, ?> m = readJson(f);
          Files.write(f, Json.writeBytes(Map.of("atom", m.get("atom"), "type", m.get("type"))));
        }
      }
      List<String> steps = new ArrayList<>();
      int cutAt = at;
      DirWriteHook hook =
          (step, path) -> {
            steps.add(step + " " + path.getFileName());
            if (steps.size() - 1 == cutAt) {
              throw new Cut();
            }
          };
      boolean cut;
      try (DirBackend b =
              DirBackend.builder(BackendConf.parse("dir://" + root)).writeHook(hook).build();
          Connection c = b.getConnection()) {
        c.destroyFlowDetail(gone.uuid(), 0);
        cut = false;
      } catch (Cut e) {
        cut = true;
      }
      if (!cut) {
        int unlinked = steps.indexOf("DIR_SYNCED " + book.uuid());
        int moved = steps.indexOf("REMOVED " + gone.uuid());
        assertThat(unlinked).as("the book's directory synced: " + steps).isNotNegative();
        assertThat(unlinked).as("the link goes before the flow: " + steps).isLessThan(moved);
      }
      String where = (byTaskFlow ? "TaskFlow's flow" : "our flow") + ", cut after step " + at;
      try (Backend b = Backends.fetch("dir://" + root);
          Connection c = b.getConnection()) {
        for (boolean swept : List.of(false, true)) {
          if (swept) {
            c.upgrade();
          }
          assertEveryLinkResolves(root, where);
          List<FlowDetail> flows = c.getLogBook(book.uuid()).flows();
          assertThat(flows).as(where).isNotEmpty();
          assertThat(flows.get(flows.size() - 1).name()).isEqualTo("kept");
          assertThat(flows.get(flows.size() - 1).atoms()).hasSize(1);
          if (flows.size() == 2) {
            assertThat(cut).as(where).isTrue();
            assertThat(flows.get(0).atoms()).as(where).hasSize(2);
            continue;
          }
          assertThatThrownBy(() -> c.getFlowDetails(gone.uuid()))
              .as(where)
              .isInstanceOf(NotFoundException.class);
          if (swept || !byTaskFlow) {
            for (AtomDetail a : gone.atoms()) {
              assertThatThrownBy(() -> c.getAtomDetails(a.uuid()))
                  .as(where)
                  .isInstanceOf(NotFoundException.class);
            }
          }
          if (swept) {
            assertThat(root.resolve("flow_details").resolve(gone.uuid())).as(where).doesNotExist();
            for (AtomDetail a : gone.atoms()) {
              assertThat(root.resolve("atom_details").resolve(a.uuid())).as(where).doesNotExist();
            }
            assertThat(DirBackendTest.names(root.resolve(".tmp"))).as(where).isEmpty();
          }
        }
        assertThat(c.findFlows(io.taskflow4j.persistence.FlowQuery.all()).flows())
            .extracting(io.taskflow4j.persistence.FlowSummary::flowName)
            .as(where)
            .contains("kept");
      }
      if (!cut) {
        return;
      }
    }
  }

  /** Every child link of a book or a flow detail points to an object that exists. */
  private static void assertEveryLinkResolves(Path root, String where) throws IOException {
    for (String kind : List.of("books", "flow_details")) {
      for (String obj : names(root.resolve(kind))) {
        for (String child : names(root.resolve(kind).resolve(obj))) {
          Path p = root.resolve(kind).resolve(obj).resolve(child);
          if (Files.isSymbolicLink(p)) {
            assertThat(Files.exists(p.resolve("metadata")))
                .as(where + ": link " + p + " points to an object")
                .isTrue();
          }
        }
      }
    }
  }

  private static List<String> names(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * File modes exist only on POSIX file systems; these tests run wherever they do (CI's Linux
   * included) and are skipped on others, such as Windows.
   */
  private void assumePosix() {
    assumeTrue(
        tmp.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "file modes need a POSIX file system");
  }

  private static boolean runningAsRoot() throws IOException {
    Path probe = Files.createTempFile("uid-probe", "");
    try {
      return ((Integer) Files.getAttribute(probe, "unix:uid")) == 0;
    } finally {
      Files.delete(probe);
    }
  }

  private static void chmodTree(Path root, String dirMode, String fileMode) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isSymbolicLink(p)) {
          Files.setPosixFilePermissions(
              p, PosixFilePermissions.fromString(Files.isDirectory(p) ? dirMode : fileMode));
        }
      }
    }
  }

  static Map<?, ?> readJson(Path file) throws IOException {
    return (Map<?, ?>) Json.read(Files.readAllBytes(file));
  }

  static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  /** Every path under {@code dir} with its content (files), target (links) or "dir". */
  static Map<Path, String> snapshot(Path dir) throws IOException {
    Map<Path, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isSymbolicLink(p)) {
          out.put(p, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          out.put(p, "dir");
        } else {
          out.put(p, Files.readString(p));
        }
      }
    }
    return out;
  }
}
