package io.taskflow4j.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile records and values against the directory store and the JSON layer: truncated and corrupt
 * files, unknown atom types and states, failure dicts of another version, names with {@code /},
 * {@code ..}, NUL or 10,000 characters, values that cannot be JSON, deep nesting, and JSON crafted
 * to make the reader instantiate classes. Each gets a typed error that says what is wrong (or, for
 * names, a faithful round trip), and the store is unchanged afterwards.
 */
class HostileStoreInputTest {
  @TempDir Path dir;
  Path store;
  String url;

  @BeforeEach
  void setUp() {
    store = dir.resolve("store");
    url = "dir://" + store + "?durability=process";
  }

  /** Every file of the store with its bytes (links as their targets). */
  private Map<String, String> snapshot() throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(store)) {
      for (Path p : s.toList()) {
        String key = store.relativize(p).toString();
        if (p.getFileName().toString().equals("lock")) {
          continue; // TaskFlow's per-object lock files hold no data; a write attempt may make one
        }
        if (key.equals(".lock")) {
          // The store's lock file holds no record: the stamp of the last writer to take the lock,
          // which a refused write raises too (so other backends re-read what they remember).
          out.put(key, "<lock>");
        } else if (Files.isSymbolicLink(p)) {
          out.put(key, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p)) {
          out.put(key, new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
        } else {
          out.put(key, "<dir>");
        }
      }
    }
    return out;
  }

  private LogBook seed(Connection c) {
    FlowDetail fd =
        FlowDetail.create("f")
            .withAtom(TaskDetail.create("a").put(AtomState.SUCCESS, Map.of("k", 1)))
            .withAtom(TaskDetail.create("b"));
    return c.saveLogBook(LogBook.create("book").withFlow(fd));
  }

  private Path atomFile(LogBook b, int i) {
    return store
        .resolve("atom_details")
        .resolve(b.flows().get(0).atoms().get(i).uuid())
        .resolve("metadata");
  }

  static Stream<Arguments> corruptAtoms() {
    return Stream.of(
        Arguments.of("truncated JSON", "{\"name\": \"a\", \"sta", "not valid JSON"),
        Arguments.of("empty file", "", "not valid JSON"),
        Arguments.of("binary garbage", "\u0000\u00ff\u0001PK", "not valid JSON"),
        Arguments.of("a JSON array", "[1, 2, 3]", "metadata"),
        Arguments.of("a JSON string", "\"atom\"", "metadata"),
        Arguments.of(
            "an unknown atom type",
            "{\"type\": \"EVIL_DETAIL\", \"atom\": {\"name\": \"a\", \"uuid\": \"%s\"}}",
            "EVIL_DETAIL"),
        Arguments.of(
            "an unknown state",
            "{\"type\": \"TASK_DETAIL\", \"atom\": {\"name\": \"a\", \"uuid\": \"%s\","
                + " \"state\": \"EXPLODED\"}}",
            "EXPLODED"),
        Arguments.of(
            "JSON nested 10,000 deep",
            "{\"type\": \"TASK_DETAIL\", \"atom\": {\"name\": \"a\", \"uuid\": \"%s\","
                + " \"results\": "
                + "[".repeat(10_000)
                + "]".repeat(10_000)
                + "}}",
            "nesting depth"),
        Arguments.of(
            "a failure dict of another version",
            "{\"type\": \"TASK_DETAIL\", \"atom\": {\"name\": \"a\", \"uuid\": \"%s\","
                + " \"state\": \"FAILURE\", \"failure\": {\"version\": 99, \"exc_type_names\":"
                + " [\"X\"], \"exception_str\": \"x\"}}}",
            "version"));
  }

  @ParameterizedTest(name = "[{index}] atom metadata holding {0}")
  @MethodSource("corruptAtoms")
  void aCorruptAtomRecordFailsItsReadsByNameAndChangesNothing(
      String what, String content, String says) throws Exception {
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      Path f = atomFile(book, 0);
      String uuid = book.flows().get(0).atoms().get(0).uuid();
      Files.write(f, String.format(content, uuid).getBytes(StandardCharsets.ISO_8859_1));
      Map<String, String> before = snapshot();
      assertThatThrownBy(() -> c.getAtomDetails(uuid))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(f.toString())
          .hasMessageContaining(says);
      assertThatThrownBy(() -> c.getFlowDetails(book.flows().get(0).uuid()))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(uuid);
      // the record beside it still reads
      assertThat(c.getAtomDetails(book.flows().get(0).atoms().get(1).uuid()).name()).isEqualTo("b");
      assertThat(snapshot()).isEqualTo(before);
    }
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"flow_details", "books"})
  void aTruncatedFlowOrBookRecordIsNamedAndTheStoreUnchanged(String kind) throws Exception {
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      String uuid = kind.equals("books") ? book.uuid() : book.flows().get(0).uuid();
      Path f = store.resolve(kind).resolve(uuid).resolve("metadata");
      byte[] whole = Files.readAllBytes(f);
      Files.write(f, java.util.Arrays.copyOf(whole, whole.length / 2));
      Map<String, String> before = snapshot();
      assertThatThrownBy(() -> c.getLogBook(book.uuid()))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(f.toString())
          .isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining("restore it from a backup");
      assertThat(snapshot()).isEqualTo(before);
    }
  }

  @Test
  void aWriteOverACorruptRecordIsRefusedAndLeavesTheBytesAsTheyWere() throws Exception {
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      Path f = atomFile(book, 1);
      Files.writeString(f, "{\"type\": \"TASK_DETAIL\", \"atom\": {");
      Map<String, String> before = snapshot();
      AtomDetail update = book.flows().get(0).atoms().get(1).withState(AtomState.RUNNING);
      assertThatThrownBy(() -> c.updateAtomDetails(update))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(f.toString());
      assertThat(snapshot()).isEqualTo(before);
    }
  }

  @ParameterizedTest(name = "[{index}] a name of {0}")
  @MethodSource("names")
  void hostileNamesRoundTripWithoutEscapingTheStore(String what, String name) throws Exception {
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook saved =
          c.saveLogBook(
              LogBook.create(name)
                  .withFlow(FlowDetail.create(name).withAtom(TaskDetail.create(name))));
      LogBook back = c.getLogBook(saved.uuid());
      assertThat(back.name()).isEqualTo(name);
      assertThat(back.flows().get(0).name()).isEqualTo(name);
      assertThat(back.flows().get(0).atoms().get(0).name()).isEqualTo(name);
      // nothing was created outside the store's own three object folders
      try (Stream<Path> s = Files.list(store)) {
        assertThat(s.map(p -> p.getFileName().toString()).toList())
            .allMatch(
                n -> List.of("books", "flow_details", "atom_details", ".tmp", ".lock").contains(n));
      }
      try (Stream<Path> s = Files.list(dir)) {
        assertThat(s.toList()).containsExactly(store);
      }
    }
  }

  static Stream<Arguments> names() {
    return Stream.of(
        Arguments.of("a slash", "a/b"),
        Arguments.of("dot-dot", "../../etc/passwd"),
        Arguments.of("NUL", "a\u0000b"),
        Arguments.of("10,000 characters", "n".repeat(10_000)),
        Arguments.of("quotes and metacharacters", "'; DROP TABLE logbooks; --\"{}\\"));
  }

  @ParameterizedTest(name = "[{index}] a uuid of {0}")
  @ValueSource(strings = {"a/b", "..", ".", "x\u0000y", "a\\b", " "})
  void aHostileUuidIsRefusedBeforeItReachesAnyStore(String uuid) throws Exception {
    assertThatThrownBy(() -> TaskDetail.of("t", uuid))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uuid");
    assertThatThrownBy(() -> FlowDetail.of("f", uuid))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uuid");
  }

  /** A class whose construction would be visible: the reader must never make one. */
  public static final class Trap {
    static volatile int made;

    public Trap() {
      made++;
    }

    public void setCommand(String c) {
      made++;
    }
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(
      strings = {
        "{\"@class\": \"io.taskflow4j.hostile.HostileStoreInputTest$Trap\", \"command\": \"x\"}",
        "[\"io.taskflow4j.hostile.HostileStoreInputTest$Trap\", {\"command\": \"x\"}]",
        "{\"@type\": \"io.taskflow4j.hostile.HostileStoreInputTest$Trap\"}",
        "{\"java.lang.ProcessBuilder\": {\"command\": [\"touch\", \"pwned\"]}}"
      })
  void resultsCraftedToInstantiateClassesStayPlainJson(String crafted) throws Exception {
    Trap.made = 0;
    Object plain = Json.read(crafted);
    assertThat(plain).isInstanceOfAny(Map.class, List.class);
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      Path f = atomFile(book, 0);
      String uuid = book.flows().get(0).atoms().get(0).uuid();
      Files.writeString(
          f,
          "{\"type\": \"TASK_DETAIL\", \"atom\": {\"name\": \"a\", \"uuid\": \""
              + uuid
              + "\", \"state\": \"SUCCESS\", \"results\": "
              + crafted
              + "}}");
      Object results = ((TaskDetail) c.getAtomDetails(uuid)).results();
      assertThat(results).isEqualTo(plain);
    }
    assertThat(Trap.made).isZero();
    assertThat(dir.resolve("pwned")).doesNotExist();
  }

  @Test
  void aFailureDictCannotNameAClassToInstantiate() {
    Trap.made = 0;
    Map<String, Object> dict =
        Map.of(
            "version",
            1,
            "exc_type_names",
            List.of(Trap.class.getName(), "java.lang.Exception"),
            "exception_str",
            "boom",
            "traceback_str",
            "",
            "exc_args",
            List.of("x"));
    Failure f = TaskFlowFormat.failureFromJson(dict);
    assertThat(f.excTypeNames()).startsWith(Trap.class.getName());
    assertThat(f.exception()).isEmpty();
    assertThat(Trap.made).isZero();
  }

  static Stream<Arguments> notJson() {
    Object[] array = new Object[1];
    array[0] = array;
    List<Object> self = new ArrayList<>();
    self.add(self);
    return Stream.of(
        Arguments.of("an object with nothing to write", new Object(), "java.lang.Object"),
        Arguments.of("NaN", Double.NaN, "NaN"),
        Arguments.of("infinity", Double.POSITIVE_INFINITY, "Infinity"),
        Arguments.of("a self-referencing list", self, "itself"),
        Arguments.of("a Failure", Failure.of(new RuntimeException("x")), "Failure"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("notJson")
  void aResultThatCannotBeJsonIsRefusedAndNothingIsWritten(String what, Object value, String says)
      throws Exception {
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      Map<String, String> before = snapshot();
      assertThatThrownBy(
              () -> {
                AtomDetail a = book.flows().get(0).atoms().get(1).put(AtomState.SUCCESS, value);
                c.updateAtomDetails(a);
              })
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase(says));
      assertThat(snapshot()).isEqualTo(before);
    }
  }

  /**
   * A regular file given as the store is said to be one: not a store that "does not exist" (which
   * sends the user to create it there), and neither {@code upgrade()} nor a read makes anything of
   * it.
   */
  @Test
  void aRegularFileIsSaidToBeAFileNotADirectoryStore() throws Exception {
    Path file = dir.resolve("notes.txt");
    Files.writeString(file, "not a store\n");
    String fileUrl = "dir://" + file;
    try (Backend b = Backends.fetch(fileUrl);
        Connection c = b.getConnection()) {
      for (org.assertj.core.api.ThrowableAssert.ThrowingCallable call :
          List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
              c::validate, c::upgrade, c::getLogBooks, () -> c.saveLogBook(LogBook.create("b")))) {
        assertThatThrownBy(call)
            .isInstanceOf(StorageException.class)
            .hasMessageContaining(file + " is a file, not a directory store")
            .hasMessageContaining("give the path of a store's directory")
            .hasMessageNotContaining("does not exist");
      }
    }
    assertThatThrownBy(() -> Backends.open(fileUrl))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(file + " is a file, not a directory store");
    assertThat(file).isRegularFile().hasContent("not a store");
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
    }
  }

  @Test
  void theStoreIsOwnerOnly() throws Exception {
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store)))
          .isEqualTo("rwx------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(atomFile(book, 0))))
          .isEqualTo("rw-------");
    }
  }

  /**
   * Defect found by the campaign: a value nested 10,000 deep overflows the stack in {@code
   * Json.normalize} (a {@link StackOverflowError}, not a typed error). Fix requested: a depth
   * counter in {@code Json.normalize} refusing more than 1,000 levels with an {@link
   * IllegalArgumentException}, the limit the JSON writer and reader already apply.
   */
  @Test
  void aValueNested10000DeepIsRefusedWithATypedError() {
    Object deep = List.of();
    for (int i = 0; i < 10_000; i++) {
      deep = List.of(deep);
    }
    Object value = deep;
    assertThatThrownBy(() -> Json.normalize(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("levels deep");
  }

  /**
   * Defect found by the campaign: a record with a key twice ({@code {"a": 1, "a": 2}}) was read
   * with the last value silently winning. Which value was meant is unknown: it is a corrupt record.
   */
  @Test
  void aRecordWithADuplicateKeyIsRefusedAsCorrupt() {
    assertThatThrownBy(() -> Json.read("{\"state\": \"SUCCESS\", \"state\": \"PENDING\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid JSON")
        .hasMessageContaining("state");
    assertThat(Json.read("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}")).isInstanceOf(Map.class);
  }

  /**
   * Defect found by the campaign: a result string over 20,000,000 characters is written, but every
   * later read of it fails (Jackson's default read limit), so a recorded result is lost. Fix
   * requested: give the reader in {@code Json} {@code StreamReadConstraints} whose {@code
   * maxStringLength} (and {@code maxDocumentLength}) accept what the writer wrote ({@code
   * Integer.MAX_VALUE}), keeping {@code maxNestingDepth} at 1,000 as the writer does.
   */
  @Test
  void aHundredMegabyteResultIsReadBackAsWritten() throws Exception {
    String big = "x".repeat(100_000_000);
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      AtomDetail a = book.flows().get(0).atoms().get(1).put(AtomState.SUCCESS, big);
      c.updateAtomDetails(a);
      assertThat(((TaskDetail) c.getAtomDetails(a.uuid())).results()).isEqualTo(big);
    }
  }
}
