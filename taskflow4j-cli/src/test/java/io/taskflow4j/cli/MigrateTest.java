package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** migrate between backends: directory → SQLite → PostgreSQL keeps every field. */
class MigrateTest {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("unchecked")
  void directoryToSqliteToPostgresqlPreservesEveryField(@PostgresDatabase String pgDatabase)
      throws Exception {
    // trust authentication ignores the password; it must never be printed all the same
    String postgres = TestDatabases.postgresUrl(pgDatabase, "pw-never-shown");
    String directory = Cli.dir(dir.resolve("books"));
    String sqlite = Cli.sqlite(dir.resolve("books.db"));

    Fixtures.write(directory, Fixtures.richBook(), Fixtures.emptyBook());
    Cli.run("demo", "--delay", "0", "--connection", directory).expect(ExitCodes.OK);
    Cli.run(
            "bench",
            "--workload",
            "fanout",
            "--tasks",
            "20",
            "--workers",
            "4",
            "--connection",
            directory)
        .expect(ExitCodes.OK);
    List<Map<String, Object>> original = ExportImportTest.exportBooks(directory);
    assertThat(original).hasSize(4);

    Cli.Result first = Cli.run("migrate", "--from", directory, "--to", sqlite);
    first.expect(ExitCodes.OK);
    assertThat(first.out()).contains("Migrated and verified 4 logbook(s), 4 flow(s), 30 atom(s)");
    assertThat(first.err()).contains("copy: 4/4 (100%)").contains("verify: 4/4 (100%)");

    Cli.Result second = Cli.run("migrate", "--from", sqlite, "--to", postgres);
    second.expect(ExitCodes.OK);
    assertThat(second.out() + second.err())
        .contains("postgresql://postgres:***@")
        .doesNotContain("pw-never-shown");

    assertThat(ExportImportTest.exportBooks(sqlite)).isEqualTo(original);
    assertThat(ExportImportTest.exportBooks(postgres)).isEqualTo(original);
    Map<String, Object> rich =
        (Map<String, Object>)
            ExportImportTest.byUuid(
                Map.of("logbooks", ExportImportTest.exportBooks(postgres)),
                Fixtures.richBook().uuid());
    assertThat(rich)
        .containsEntry("name", "rich book — with ünïcødé")
        .containsEntry("created_at", "2024-01-02T03:04:05.123456Z")
        .containsEntry("updated_at", "2024-01-02T03:04:07.654321Z")
        .containsEntry("meta", Map.of("team", "payments", "tags", List.of("a", "b")));

    // a second copy into the same target is refused, writing nothing
    Cli.Result again = Cli.run("migrate", "--from", sqlite, "--to", postgres);
    again.expect(ExitCodes.CONFLICT);
    assertThat(again.err()).contains("already exist").contains("--replace");
    Cli.run("migrate", "--from", sqlite, "--to", postgres, "--replace").expect(ExitCodes.OK);
    assertThat(ExportImportTest.exportBooks(postgres)).isEqualTo(original);
  }

  @Test
  void aStoreSpelledTwoWaysIsRefusedAsTheSameStore() throws Exception {
    Path db = dir.resolve("self.db");
    String absolute = Cli.sqlite(db);
    Fixtures.write(absolute, Fixtures.richBook());
    Path cwd = Path.of("").toAbsolutePath();
    String relative = "sqlite:///" + cwd.relativize(db.toAbsolutePath());
    Path books = dir.resolve("books");
    Fixtures.write(Cli.dir(books), Fixtures.richBook());
    Path link = dir.resolve("link");
    java.nio.file.Files.createSymbolicLink(link, books);
    Map<String, String[]> cases =
        Map.of(
            "sqlite", new String[] {relative, absolute, "one SQLite file"},
            "dir", new String[] {Cli.dir(books), Cli.dir(link) + "/.", "one directory"});
    for (Map.Entry<String, String[]> c : cases.entrySet()) {
      String[] v = c.getValue();
      Cli.Result r = Cli.run("migrate", "--from", v[0], "--to", v[1], "--replace");
      r.expect(ExitCodes.USAGE);
      assertThat(r.errLines()).as(c.getKey()).hasSize(1);
      assertThat(r.err()).as(c.getKey()).contains("the same store").contains(v[2]);
    }
    assertThat(ExportImportTest.exportBooks(absolute)).hasSize(1);
    assertThat(SameStore.same(absolute, Cli.sqlite(dir.resolve("other.db")))).isNull();
    assertThat(
            SameStore.same(
                "postgresql://u@localhost/db1", "postgresql://v:pw@127.0.0.1:5432/db1?x=1"))
        .contains("database db1");
    assertThat(SameStore.same("postgresql://u@localhost/db1", "postgresql://u@localhost/db2"))
        .isNull();
    assertThat(SameStore.same("postgresql://u@localhost/db1", "postgresql://u@localhost:5433/db1"))
        .isNull();
  }

  @Test
  void aReplacementPostgresqlRefusesLeavesEveryStoredBookAsItWas(
      @PostgresDatabase String pgDatabase) throws Exception {
    String postgres = TestDatabases.postgresUrl(pgDatabase);
    Fixtures.write(postgres, Fixtures.richBook(), Fixtures.emptyBook());
    List<Map<String, Object>> before = ExportImportTest.exportBooks(postgres);
    java.nio.file.Path good = dir.resolve("p.json");
    Cli.run("export", "--connection", postgres, "-o", good.toString()).expect(ExitCodes.OK);
    String text = java.nio.file.Files.readString(good);
    Map<String, String[]> cases =
        Map.of(
            "long-name",
            new String[] {
              text.replace("\"name\" : \"ship\"", "\"name\" : \"" + "s".repeat(300) + "\""),
              "its name is 300 characters long, over the 255 PostgreSQL keeps"
            },
            "nul",
            new String[] {
              text.replace("\"name\" : \"ship\"", "\"name\" : \"sh\\u0000ip\""), "NUL character"
            },
            "far-future",
            new String[] {
              text.replace("2024-01-02T03:04:05.123456Z", "+999999999-01-02T03:04:05.123456Z"),
              "outside the times PostgreSQL can represent"
            });
    for (Map.Entry<String, String[]> c : cases.entrySet()) {
      assertThat(c.getValue()[0]).as(c.getKey()).isNotEqualTo(text);
      java.nio.file.Path f = dir.resolve(c.getKey() + ".json");
      java.nio.file.Files.writeString(f, c.getValue()[0]);
      Cli.Result r = Cli.run("import", f.toString(), "--connection", postgres, "--replace");
      r.expect(ExitCodes.BAD_FILE);
      assertThat(r.errLines()).as(c.getKey()).hasSize(1);
      assertThat(r.err()).as(c.getKey()).contains(c.getValue()[1]).contains("nothing was written");
      assertThat(ExportImportTest.exportBooks(postgres)).as(c.getKey()).isEqualTo(before);
    }
  }

  @Test
  void differencesAreListedByPath() {
    Map<String, Object> left = ExportFormat.book(Fixtures.richBook());
    Map<String, Object> right =
        ExportFormat.book(Fixtures.richBook().withMeta(Map.of("team", "billing")));
    assertThat(ExportFormat.diff(left, left, 10)).isEmpty();
    assertThat(ExportFormat.diff(left, right, 10))
        .containsExactlyInAnyOrder(
            ".meta.team: \"payments\" != \"billing\"", ".meta.tags: [\"a\",\"b\"] != null");
  }
}
