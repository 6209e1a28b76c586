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
    assertThat(doc.get("version")).isEqualTo(1);
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
            "future", text.replace("\"version\" : 1,", "\"version\" : 2,"),
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
        .contains("version 2 is not supported; this taskflow4j reads version 1");
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
