package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** export → import round trips, and files that import refuses without writing anything. */
class ExportImportTest {
  @TempDir Path dir;

  @Test
  void exportThenImportRoundTripsEveryBookEqual() throws Exception {
    String source = Cli.dir(dir.resolve("source"));
    Fixtures.write(source, Fixtures.richBook(), Fixtures.emptyBook());
    Cli.run("demo", "--delay", "0", "--connection", source).expect(ExitCodes.OK);

    Path file = dir.resolve("books.json");
    Cli.Result export = Cli.run("export", "--connection", source, "--output", file.toString());
    export.expect(ExitCodes.OK);
    assertThat(export.err()).contains("Exported 3 logbook(s), 3 flow(s)");
    Map<String, Object> doc = read(file);
    assertThat(doc.get("format")).isEqualTo("taskflow4j-export");
    assertThat(doc.get("version")).isEqualTo(2);
    assertThat(doc.get("exported_at")).asString().endsWith("Z");
    assertThat((List<?>) doc.get("logbooks")).hasSize(3);

    String target = Cli.sqlite(dir.resolve("target.db"));
    Cli.Result imported = Cli.run("import", file.toString(), "--connection", target);
    imported.expect(ExitCodes.OK);
    assertThat(imported.err()).contains("Imported 3 logbook(s)");

    Path again = dir.resolve("again.json");
    Cli.run("export", "--connection", target, "-o", again.toString()).expect(ExitCodes.OK);
    assertThat(read(again).get("logbooks")).isEqualTo(doc.get("logbooks"));

    // show --json is the export form of one book
    Cli.Result show =
        Cli.run("logbooks", "show", Fixtures.richBook().uuid(), "--connection", target, "--json");
    show.expect(ExitCodes.OK);
    assertThat(show.json()).isEqualTo(byUuid(doc, Fixtures.richBook().uuid()));

    // one book, to standard output
    Cli.Result one =
        Cli.run("export", "--connection", target, "--book", Fixtures.emptyBook().uuid());
    one.expect(ExitCodes.OK);
    assertThat(one.json().get("logbooks"))
        .isEqualTo(List.of(byUuid(doc, Fixtures.emptyBook().uuid())));
  }

  @Test
  void importingABookThatExistsIsRefusedUnlessReplace() throws Exception {
    String source = Cli.dir(dir.resolve("source"));
    Fixtures.write(source, Fixtures.richBook());
    Path file = dir.resolve("books.json");
    Cli.run("export", "--connection", source, "-o", file.toString()).expect(ExitCodes.OK);
    String target = Cli.sqlite(dir.resolve("target.db"));
    Fixtures.write(target, Fixtures.emptyBook(), Fixtures.richBook().withFlows(List.of()));

    Cli.Result refused = Cli.run("import", file.toString(), "--connection", target);
    refused.expect(ExitCodes.CONFLICT);
    assertThat(refused.errLines()).hasSize(1);
    assertThat(refused.err())
        .contains("already exist")
        .contains(Fixtures.richBook().uuid())
        .contains("--replace");
    assertThat(exportBooks(target))
        .anySatisfy(
            b ->
                assertThat(b)
                    .containsEntry("uuid", Fixtures.richBook().uuid())
                    .containsEntry("flows", List.of()));

    Cli.run("import", file.toString(), "--connection", target, "--replace").expect(ExitCodes.OK);
    List<Map<String, Object>> books = exportBooks(target);
    assertThat(books).hasSize(2);
    assertThat(books).contains(exportBooks(source).get(0)).hasSize(2);
  }

  @Test
  void aCorruptOrForeignFileIsRefusedWithOneLineAndNothingIsWritten() throws Exception {
    String source = Cli.dir(dir.resolve("source"));
    Fixtures.write(source, Fixtures.emptyBook(), Fixtures.richBook());
    Path good = dir.resolve("good.json");
    Cli.run("export", "--connection", source, "-o", good.toString()).expect(ExitCodes.OK);
    String text = Files.readString(good);
    String target = Cli.sqlite(dir.resolve("target.db"));
    Cli.run("upgrade", "--connection", target).expect(ExitCodes.OK);

    Map<String, String> cases =
        Map.of(
            "truncated", text.substring(0, text.length() / 2),
            "garbage", text + " trailing garbage",
            "foreign", text.replace("\"taskflow4j-export\"", "\"something-else\""),
            "future", text.replace("\"version\" : 2,", "\"version\" : 3,"),
            // the first book is fine, the second has an atom in an unknown state
            "bad-state", text.replace("\"REVERT_FAILURE\"", "\"EXPLODED\""),
            "not-object", "[1, 2, 3]");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      assertThat(text).isNotEqualTo(c.getValue());
      Path file = dir.resolve(c.getKey() + ".json");
      Files.writeString(file, c.getValue(), StandardCharsets.UTF_8);
      Cli.Result r = Cli.run("import", file.toString(), "--connection", target);
      r.expect(ExitCodes.BAD_FILE);
      assertThat(r.errLines()).as(c.getKey()).hasSize(1);
      assertThat(r.err())
          .as(c.getKey())
          .startsWith("taskflow4j: error: " + file + " is not a valid taskflow4j export (")
          .endsWith("nothing was imported" + System.lineSeparator())
          .doesNotContain("\tat ");
      assertThat(r.out()).isEmpty();
    }
    assertThat(
            Cli.run("import", dir.resolve("future.json").toString(), "--connection", target).err())
        .contains("version 3 is not supported; this taskflow4j reads versions 1 to 2");
    assertThat(
            Cli.run("import", dir.resolve("bad-state.json").toString(), "--connection", target)
                .err())
        .contains("unknown atom state 'EXPLODED'")
        .contains("logbook " + Fixtures.richBook().uuid());
    assertThat(exportBooks(target)).isEmpty();
    Cli.Result missing =
        Cli.run("import", dir.resolve("nope.json").toString(), "--connection", target);
    missing.expect(ExitCodes.BAD_FILE);
    assertThat(missing.err()).contains("no such file");
  }

  /** Exports the rich book from a directory store and returns the export text. */
  private String richExport() throws Exception {
    String source = Cli.dir(dir.resolve("source"));
    Fixtures.write(source, Fixtures.richBook());
    Path file = dir.resolve("rich.json");
    Cli.run("export", "--connection", source, "-o", file.toString()).expect(ExitCodes.OK);
    return Files.readString(file);
  }

  private Path file(String name, String text) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void aReplacementTheTargetCannotHoldIsRefusedAndTheStoredBookIsKept() throws Exception {
    String text = richExport();
    String target = Cli.dir(dir.resolve("target"));
    Fixtures.write(target, Fixtures.richBook(), Fixtures.emptyBook());
    List<Map<String, Object>> before = exportBooks(target);
    // a directory store names files after uuids: 300 characters is over its 200 bytes
    String longUuid = "7".repeat(300);
    Path bad = file("bad.json", text.replace("77777777-7777-7777-7777-777777777777", longUuid));

    Cli.Result r = Cli.run("import", bad.toString(), "--connection", target, "--replace");

    r.expect(ExitCodes.BAD_FILE);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err())
        .contains("cannot store")
        .contains("its uuid is 300 bytes, over the 200")
        .contains("nothing was written");
    assertThat(exportBooks(target)).isEqualTo(before);
  }

  @Test
  void aFileThatVerifyWouldRejectIsRefusedNamingTheRecordAndTheRule() throws Exception {
    String text = richExport();
    String target = Cli.sqlite(dir.resolve("target.db"));
    Cli.run("upgrade", "--connection", target).expect(ExitCodes.OK);
    Map<String, String[]> cases =
        Map.of(
            // two atoms of one flow named alike
            "duplicate",
            new String[] {
              text.replace("\"name\" : \"ship\"", "\"name\" : \"reserve\""),
              "DUPLICATE",
              "two atoms of the flow are named 'reserve'"
            },
            // a SUCCESS flow whose atoms are not all done
            "mismatch",
            new String[] {
              text.replace("\"state\" : \"FAILURE\",\n", "\"state\" : \"SUCCESS\",\n"),
              "STATE_MISMATCH",
              "SUCCESS while one of its atoms is"
            });
    for (Map.Entry<String, String[]> c : cases.entrySet()) {
      assertThat(c.getValue()[0]).as(c.getKey()).isNotEqualTo(text);
      Path f = file(c.getKey() + ".json", c.getValue()[0]);
      Cli.Result r = Cli.run("import", f.toString(), "--connection", target);
      r.expect(ExitCodes.BAD_FILE);
      assertThat(r.errLines()).as(c.getKey()).hasSize(1);
      assertThat(r.err())
          .as(c.getKey())
          .contains("breaks a rule of 'taskflow4j verify'")
          .contains(c.getValue()[1])
          .contains(c.getValue()[2])
          .contains("nothing was imported");
    }
    assertThat(exportBooks(target)).isEmpty();
  }

  @Test
  void aLoneSurrogateAnywhereIsRefusedInsteadOfBecomingAQuestionMark() throws Exception {
    String text = richExport();
    String target = Cli.sqlite(dir.resolve("target.db"));
    Cli.run("upgrade", "--connection", target).expect(ExitCodes.OK);
    Map<String, String> cases =
        Map.of(
            "name",
            text.replace("\"name\" : \"ship\"", "\"name\" : \"sh\\ud800ip\""),
            "meta-key",
            text.replace("\"owner\"", "\"own\\udc00er\""),
            "failure",
            text.replace("\"exception_str\" : \"", "\"exception_str\" : \"\\ud83d"));
    for (Map.Entry<String, String> c : cases.entrySet()) {
      assertThat(c.getValue()).as(c.getKey()).isNotEqualTo(text);
      Path f = file(c.getKey() + ".json", c.getValue());
      Cli.Result r = Cli.run("import", f.toString(), "--connection", target);
      r.expect(ExitCodes.BAD_FILE);
      assertThat(r.errLines()).as(c.getKey()).hasSize(1);
      // (Jackson itself refuses a lone surrogate in a key, with its own words)
      assertThat(r.err()).as(c.getKey()).contains("surrogate").contains("nothing was imported");
    }
    assertThat(exportBooks(target)).isEmpty();
  }

  @Test
  void aFlowOfAnotherStoredLogbookIsAConflictSaidAsSuchAndNothingIsWritten() throws Exception {
    String text = richExport();
    String target = Cli.sqlite(dir.resolve("target.db"));
    Fixtures.write(target, Fixtures.richBook());
    // the same flows under another book uuid, after a book of its own that is fine
    String copy =
        text.replace(
            "44444444-4444-4444-4444-444444444444", "99999999-4444-4444-4444-444444444444");
    Path f = file("copy.json", copy);

    Cli.Result r = Cli.run("import", f.toString(), "--connection", target);

    r.expect(ExitCodes.CONFLICT);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err())
        .contains("99999999-4444-4444-4444-444444444444")
        .contains("33333333-3333-3333-3333-333333333333")
        .contains("already holds in another logbook")
        .contains("nothing was written")
        .doesNotContain("another process");
    assertThat(exportBooks(target)).hasSize(1);
  }

  static Object byUuid(Map<String, Object> doc, String uuid) {
    for (Object b : (List<?>) doc.get("logbooks")) {
      if (uuid.equals(((Map<?, ?>) b).get("uuid"))) {
        return b;
      }
    }
    throw new AssertionError("no book " + uuid);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> read(Path file) throws Exception {
    return (Map<String, Object>) Json.read(Files.readAllBytes(file));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> exportBooks(String connection) {
    Cli.Result r = Cli.run("export", "--connection", connection);
    r.expect(ExitCodes.OK);
    return (List<Map<String, Object>>) r.json().get("logbooks");
  }
}
