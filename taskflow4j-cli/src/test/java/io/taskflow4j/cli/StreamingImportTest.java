package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * import reads a file one book at a time, in passes: a check that fails on the last book of a file
 * still writes nothing, and a write that fails part-way says what was written.
 */
class StreamingImportTest {
  static final int BOOKS = 40;

  @TempDir Path dir;

  /** {@code BOOKS} books of 2 flows of 3 atoms; the last one's JSON passed through {@code edit}. */
  private Path file(String name, UnaryOperator<String> edit) throws Exception {
    List<String> books = new ArrayList<>();
    for (int i = 0; i < BOOKS; i++) {
      String json = Json.write(ExportFormat.book(LargeStoreImportTest.book(i, 2, 3)));
      books.add(i == BOOKS - 1 ? edit.apply(json) : json);
    }
    String text =
        "{\"format\": \"taskflow4j-export\", \"version\": 2, \"exported_at\": \"2026-01-01T00:00:00Z\","
            + " \"logbooks\": [\n"
            + String.join(",\n", books)
            + "]}\n";
    Path f = dir.resolve(name);
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  private static LogBook last() {
    return LargeStoreImportTest.book(BOOKS - 1, 2, 3);
  }

  @Test
  void aFileCheckFailingOnTheLastBookWritesNothing() throws Exception {
    String target = Cli.sqlite(dir.resolve("target.db"));
    Cli.run("upgrade", "--connection", target).expect(ExitCodes.OK);
    LogBook first = LargeStoreImportTest.book(0, 2, 3);
    String lastFlow = last().flows().get(1).uuid();
    Map<String, UnaryOperator<String>> edits =
        Map.of(
            "malformed",
                s ->
                    s.replace(
                        "\"state\":\"SUCCESS\",\"intention\"",
                        "\"state\":\"EXPLODED\",\"intention\""),
            "verify", s -> s.replace("\"task-2\"", "\"task-1\""),
            "surrogate", s -> s.replace("\"book-" + (BOOKS - 1) + "\"", "\"bo\\ud800ok\""),
            "book-twice", s -> s.replace(last().uuid(), first.uuid()),
            "flow-twice", s -> s.replace(lastFlow, first.flows().get(0).uuid()));
    Map<String, String> said =
        Map.of(
            "malformed", "unknown atom state 'EXPLODED'",
            "verify", "breaks a rule of 'taskflow4j verify': DUPLICATE",
            "surrogate", "surrogate",
            "book-twice", "uuid " + first.uuid() + " appears more than once",
            "flow-twice", "uuid " + first.flows().get(0).uuid() + " appears more than once");
    for (var c : edits.entrySet()) {
      Path f = file(c.getKey() + ".json", c.getValue());
      assertThat(Files.readString(f))
          .as(c.getKey())
          .isNotEqualTo(Files.readString(file("good.json", s -> s)));
      Cli.Result r = Cli.run("import", f.toString(), "--connection", target);
      r.expect(ExitCodes.BAD_FILE);
      assertThat(r.errLines()).as(c.getKey()).hasSize(1);
      assertThat(r.err())
          .as(c.getKey())
          .contains(said.get(c.getKey()))
          .contains("nothing was imported");
      assertThat(LargeStoreImportTest.counts(target)).as(c.getKey()).containsExactly(0, 0, 0);
    }
  }

  @Test
  void aStoreCheckFailingOnTheLastBookWritesNothing() throws Exception {
    Path good = file("good.json", s -> s);

    // the target holds the last book already
    String holding = Cli.sqlite(dir.resolve("holding.db"));
    Fixtures.write(holding, last().withFlows(List.of()));
    Cli.Result exists = Cli.run("import", good.toString(), "--connection", holding);
    exists.expect(ExitCodes.CONFLICT);
    assertThat(exists.err())
        .contains("1 logbook(s) already exist")
        .contains(last().uuid())
        .contains("nothing was written");
    assertThat(LargeStoreImportTest.counts(holding)).containsExactly(1, 0, 0);

    // another logbook of the target holds a flow of the last book
    String owning = Cli.sqlite(dir.resolve("owning.db"));
    FlowDetail flow = last().flows().get(1);
    Fixtures.write(owning, Fixtures.emptyBook().withFlows(List.of(flow)));
    Cli.Result owned = Cli.run("import", good.toString(), "--connection", owning);
    owned.expect(ExitCodes.CONFLICT);
    assertThat(owned.err())
        .contains("logbook " + last().uuid())
        .contains("flow detail " + flow.uuid())
        .contains("already holds in another logbook")
        .contains("nothing was written");
    assertThat(LargeStoreImportTest.counts(owning)).containsExactly(1, 1, 3);

    // the last book's uuid is longer than a directory store keeps
    Path tooLong = file("long.json", s -> s.replace(last().uuid(), "7".repeat(300)));
    String directory = Cli.dir(dir.resolve("books"));
    Cli.Result limit = Cli.run("import", tooLong.toString(), "--connection", directory);
    limit.expect(ExitCodes.BAD_FILE);
    assertThat(limit.err()).contains("cannot store").contains("nothing was written");
    assertThat(LargeStoreImportTest.counts(directory)).containsExactly(0, 0, 0);

    // and with --replace, both refusals give way
    Cli.run("import", good.toString(), "--connection", holding, "--replace").expect(ExitCodes.OK);
    assertThat(LargeStoreImportTest.counts(holding)).containsExactly(BOOKS, BOOKS * 2, BOOKS * 6);
  }

  @Test
  void aWriteFailingPartWaySaysWhatWasWrittenAndWhatWasNot() throws Exception {
    Path good = file("good.json", s -> s);
    ImportCommand.FileBooks books = ImportCommand.check(good, "good.json");
    List<String> uuids = new ArrayList<>();
    for (int i = 0; i < BOOKS; i++) {
      uuids.add(LargeStoreImportTest.book(i, 0, 0).uuid());
    }
    try (Backend b = Backends.open("memory://");
        Connection c = new FailingConnection(b.getConnection(), uuids.get(3))) {
      assertThatThrownBy(
              () -> ImportCommand.write(c, books, false, "memory://", "good.json", null, null))
          .isInstanceOfSatisfying(
              CliException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.STORE))
          .hasMessage(
              "imported 3 of "
                  + BOOKS
                  + " logbook(s) into memory:// ("
                  + String.join(", ", uuids.subList(0, 3))
                  + "); logbook "
                  + uuids.get(3)
                  + " failed: "
                  + Errors.describe(new StorageException("the disk went away")).message()
                  + "; nothing of "
                  + String.join(", ", uuids.subList(3, 8))
                  + " and "
                  + (BOOKS - 8)
                  + " more was written");
      assertThat(LargeStoreImportTest.counts(c)).containsExactly(3, 6, 18);
    }
  }

  @Test
  void theSourceFailingPartWaySaysWhatWasWritten() {
    List<LogBook> three =
        List.of(
            LargeStoreImportTest.book(0, 1, 1),
            LargeStoreImportTest.book(1, 1, 1),
            LargeStoreImportTest.book(2, 1, 1));
    int[] readings = {0};
    ImportCommand.Books flaky =
        action -> {
          readings[0]++;
          for (LogBook b : three) {
            if (readings[0] == 2 && b == three.get(2)) {
              throw new StorageException("the source went away");
            }
            action.accept(b);
          }
        };
    try (Backend b = Backends.open("memory://");
        Connection c = b.getConnection()) {
      assertThatThrownBy(() -> ImportCommand.write(c, flaky, false, "memory://", "src", null, null))
          .isInstanceOf(CliException.class)
          .hasMessageStartingWith(
              "imported 2 of 3 logbook(s) into memory:// ("
                  + three.get(0).uuid()
                  + ", "
                  + three.get(1).uuid()
                  + "); then reading src failed: the source went away")
          .hasMessageEndingWith("; the other 1 logbook(s) were not written");
    }
  }

  @Test
  void standardInputIsReadThroughATemporaryFileThatIsDeleted() throws Exception {
    byte[] text = Files.readAllBytes(file("good.json", s -> s));
    String target = Cli.sqlite(dir.resolve("target.db"));
    Set<Path> before = spooled();
    InputStream in = System.in;
    try {
      System.setIn(new ByteArrayInputStream(text));
      Cli.Result r = Cli.run("import", "-", "--connection", target);
      r.expect(ExitCodes.OK);
      assertThat(r.err()).contains("Imported " + BOOKS + " logbook(s) from -");
      System.setIn(new ByteArrayInputStream("{\"format\": 1}".getBytes(StandardCharsets.UTF_8)));
      Cli.Result bad = Cli.run("import", "-", "--connection", target);
      bad.expect(ExitCodes.BAD_FILE);
      assertThat(bad.err()).contains("- is not a valid taskflow4j export");
    } finally {
      System.setIn(in);
    }
    assertThat(spooled()).isSubsetOf(before);
    assertThat(LargeStoreImportTest.counts(target)).containsExactly(BOOKS, BOOKS * 2, BOOKS * 6);
  }

  private static Set<Path> spooled() throws Exception {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("taskflow4j-import-"))
          .collect(Collectors.toSet());
    }
  }

  @Test
  void aFileReadBookByBookGivesTheBooksOfTheWholeDocumentWhateverTheKeyOrder() throws Exception {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put(
        "logbooks",
        List.of(ExportFormat.book(Fixtures.richBook()), ExportFormat.book(Fixtures.emptyBook())));
    doc.put("unknown", Map.of("ignored", List.of(1, 2)));
    doc.put("version", 2);
    doc.put("format", "taskflow4j-export");
    byte[] bytes = Json.writeBytes(doc);
    Path f = dir.resolve("reordered.json");
    Files.write(f, bytes);

    ExportFormat.ExportFile file = ExportFormat.ExportFile.open(f);
    assertThat(file.size()).isEqualTo(2);
    List<LogBook> streamed = new ArrayList<>();
    file.forEachBook(true, streamed::add);
    assertThat(streamed).isEqualTo(ExportFormat.read(bytes));
    assertThat(streamed)
        .extracting(LogBook::uuid)
        .containsExactly(Fixtures.richBook().uuid(), Fixtures.emptyBook().uuid());

    Files.writeString(f, "{\"format\": \"taskflow4j-export\", \"version\": 2, \"logbooks\": 5}");
    assertThatThrownBy(() -> ExportFormat.ExportFile.open(f))
        .hasMessage("\"logbooks\" must be a list");
    Files.writeString(
        f, "{\"format\": \"taskflow4j-export\", \"version\": 2, \"logbooks\": []} []");
    assertThatThrownBy(() -> ExportFormat.ExportFile.open(f))
        .hasMessageStartingWith("not valid JSON: more after the end");
    Files.writeString(f, "{\"format\": \"taskflow4j-export\", \"version\": 2, \"logbooks\": [7]}");
    assertThatThrownBy(() -> ExportFormat.ExportFile.open(f).forEachBook(true, b -> {}))
        .hasMessage("logbook #1 must be an object");
  }

  @Test
  void aUuidSetTellsEveryTextApartInSixteenBytesACanonicalUuid() {
    ExportFormat.UuidSet set = new ExportFormat.UuidSet();
    List<String> added = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      String u = UUID.randomUUID().toString();
      added.add(u);
      assertThat(set.add(u)).isTrue();
    }
    for (String u : added) {
      assertThat(set.contains(u)).isTrue();
      assertThat(set.add(u)).isFalse();
    }
    String u = added.get(0);
    // other spellings of one uuid are other texts, and so other uuids in a file
    assertThat(set.contains(u.toUpperCase(java.util.Locale.ROOT))).isFalse();
    assertThat(set.add(u.toUpperCase(java.util.Locale.ROOT))).isTrue();
    assertThat(set.add("00000000-0000-0000-0000-000000000000")).isTrue();
    assertThat(set.add("00000000-0000-0000-0000-000000000000")).isFalse();
    assertThat(set.add("order-42")).isTrue();
    assertThat(set.add("order-42")).isFalse();
    assertThat(set.contains("order-43")).isFalse();
    assertThat(set.contains(UUID.randomUUID().toString())).isFalse();
  }

  /** Fails the write of one book, as a store that went away would. */
  private static final class FailingConnection extends ForwardingConnection {
    private final String failing;

    FailingConnection(Connection delegate, String failing) {
      super(delegate);
      this.failing = failing;
    }

    @Override
    public LogBook replaceLogBook(LogBook book) {
      if (book.uuid().equals(failing)) {
        throw new StorageException("the disk went away");
      }
      return delegate().replaceLogBook(book);
    }
  }
}
