package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

/**
 * Export format version 2 carries each flow's record times, and import writes them back; version 1
 * files still import. The flat {@code --format jsonl} export. The command line's durations.
 */
class ExportTimesTest {
  private static final Instant CREATED = Instant.parse("2025-06-01T08:00:00.123456Z");
  private static final Instant UPDATED = Instant.parse("2025-06-02T09:30:00.654321Z");
  private static final Instant BOOK_CREATED = Instant.parse("2025-05-01T00:00:00Z");
  private static final Instant BOOK_UPDATED = Instant.parse("2025-05-03T00:00:00Z");

  @TempDir Path dir;

  /** A book created long ago whose flow has its own, older-than-now record times. */
  private static LogBook agedBook() {
    TaskDetail t =
        (TaskDetail)
            TaskDetail.create("work")
                .put(AtomState.SUCCESS, Map.of("n", 1))
                .withMeta(Map.of(AtomDetail.META_ATTEMPT, 1, AtomDetail.META_DURATION, 0.5));
    FlowDetail fd =
        FlowDetail.create("aged")
            .withState(FlowState.SUCCESS)
            .withAtoms(List.of(t))
            .withTimes(CREATED, UPDATED);
    return LogBook.of(
        java.util.UUID.randomUUID().toString(),
        "aged book",
        BOOK_CREATED,
        BOOK_UPDATED,
        Map.of(),
        List.of(fd));
  }

  private static byte[] export(Connection c, ExportCommand.Format format) throws Exception {
    ExportCommand cmd = new ExportCommand();
    cmd.format = format;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<CorruptRecordException> damaged = new ArrayList<>();
    cmd.export(c, out, damaged);
    assertThat(damaged).isEmpty();
    return out.toByteArray();
  }

  @Test
  void exportThenImportKeepsEachFlowsRecordTimes() throws Exception {
    try (Backend from = Backends.open("memory://");
        Connection src = from.getConnection();
        Backend to = Backends.open("memory://");
        Connection dst = to.getConnection()) {
      LogBook book = agedBook();
      src.replaceLogBook(book);
      FlowDetail stored = src.getLogBook(book.uuid()).flows().get(0);
      assertThat(stored.createdAt()).isEqualTo(CREATED);

      byte[] bytes = export(src, ExportCommand.Format.json);
      @SuppressWarnings("unchecked")
      Map<String, Object> doc = (Map<String, Object>) Json.read(bytes);
      assertThat(doc.get("version")).isEqualTo(2);

      List<LogBook> read = ExportFormat.read(bytes);
      ImportCommand.write(dst, read, false, "memory://", "the file", null);
      FlowDetail copied = dst.getLogBook(book.uuid()).flows().get(0);
      assertThat(copied.createdAt()).isEqualTo(CREATED);
      assertThat(copied.updatedAt()).isEqualTo(UPDATED);
      // the copy exports the same
      assertThat(Json.read(export(dst, ExportCommand.Format.json)))
          .extracting(m -> ((Map<?, ?>) m).get("logbooks"))
          .isEqualTo(doc.get("logbooks"));
    }
  }

  @Test
  void aVersion1FileImportsItsFlowsWithTheirLogbooksTimes() throws Exception {
    try (Backend from = Backends.open("memory://");
        Connection src = from.getConnection();
        Backend to = Backends.open("memory://");
        Connection dst = to.getConnection()) {
      LogBook book = agedBook();
      src.replaceLogBook(book);
      @SuppressWarnings("unchecked")
      Map<String, Object> doc =
          (Map<String, Object>) Json.read(export(src, ExportCommand.Format.json));
      Map<String, Object> v1 = new LinkedHashMap<>(doc);
      v1.put("version", 1);
      List<Object> books = new ArrayList<>();
      for (Object b : (List<?>) doc.get("logbooks")) {
        Map<String, Object> bm = new LinkedHashMap<>(cast(b));
        List<Object> flows = new ArrayList<>();
        for (Object f : (List<?>) bm.get("flows")) {
          Map<String, Object> fm = new LinkedHashMap<>(cast(f));
          fm.remove("created_at");
          fm.remove("updated_at");
          flows.add(fm);
        }
        bm.put("flows", flows);
        books.add(bm);
      }
      v1.put("logbooks", books);

      List<LogBook> read = ExportFormat.read(Json.writeBytes(v1));
      ImportCommand.write(dst, read, false, "memory://", "the file", null);
      FlowDetail copied = dst.getLogBook(book.uuid()).flows().get(0);
      assertThat(copied.createdAt()).isEqualTo(BOOK_CREATED);
      assertThat(copied.updatedAt()).isEqualTo(BOOK_UPDATED);
    }
  }

  @Test
  void aFutureVersionOrABadFlowTimeIsRefused() throws Exception {
    try (Backend from = Backends.open("memory://");
        Connection src = from.getConnection()) {
      src.replaceLogBook(agedBook());
      String text = new String(export(src, ExportCommand.Format.json), StandardCharsets.UTF_8);
      assertThatThrownBy(
              () ->
                  ExportFormat.read(
                      text.replace("\"version\" : 2,", "\"version\" : 3,")
                          .getBytes(StandardCharsets.UTF_8)))
          .hasMessageContaining(
              "version 3 is not supported; this taskflow4j reads versions 1 to 2");
      assertThatThrownBy(
              () ->
                  ExportFormat.read(
                      text.replace("\"" + CREATED + "\"", "\"last tuesday\"")
                          .getBytes(StandardCharsets.UTF_8)))
          .hasMessageContaining("\"created_at\" is not a time");
    }
  }

  @Test
  void jsonlHasOneFlatLinePerAtom() throws Exception {
    String source = Cli.dir(dir.resolve("source"));
    Fixtures.write(source, Fixtures.richBook(), Fixtures.emptyBook());
    Cli.Result r = Cli.run("export", "--connection", source, "--format", "jsonl");
    r.expect(ExitCodes.OK);
    int atoms = 0;
    for (FlowDetail fd : Fixtures.richBook().flows()) {
      atoms += fd.size();
    }
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(atoms);
    assertThat(r.out()).endsWith("\n");
    Set<String> schema =
        Set.of(
            "book_uuid",
            "book_name",
            "flow_uuid",
            "flow_name",
            "flow_state",
            "atom_uuid",
            "atom_name",
            "atom_type",
            "state",
            "intention",
            "started_at",
            "ended_at",
            "duration",
            "attempt",
            "host",
            "exception_type",
            "exception_message",
            "result_bytes",
            "flow_created_at",
            "flow_updated_at");
    for (String line : lines) {
      Map<?, ?> m = (Map<?, ?>) Json.read(line);
      assertThat(m.keySet()).isEqualTo(schema);
      assertThat(m.get("book_uuid")).isEqualTo(Fixtures.richBook().uuid());
      assertThat(m.get("result_bytes")).isInstanceOf(Integer.class);
    }
    assertThat(lines)
        .anySatisfy(l -> assertThat(((Map<?, ?>) Json.read(l)).get("exception_type")).isNotNull());

    Path file = dir.resolve("atoms.jsonl");
    Cli.Result toFile =
        Cli.run("export", "--connection", source, "--format", "jsonl", "-o", file.toString());
    toFile.expect(ExitCodes.OK);
    assertThat(toFile.err()).contains(atoms + " atom(s)");
    assertThat(java.nio.file.Files.readString(file)).isEqualTo(r.out());
  }

  @Test
  void durationsAreANumberAndAUnitOrSeveral() {
    assertThat(DurationConverter.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(DurationConverter.parse("12h")).isEqualTo(Duration.ofHours(12));
    assertThat(DurationConverter.parse("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(DurationConverter.parse("45s")).isEqualTo(Duration.ofSeconds(45));
    assertThat(DurationConverter.parse("2w")).isEqualTo(Duration.ofDays(14));
    assertThat(DurationConverter.parse("1d12h")).isEqualTo(Duration.ofHours(36));
    assertThat(DurationConverter.parse("PT90M")).isEqualTo(Duration.ofMinutes(90));
    for (String bad : new String[] {"", "7", "d", "7x", "0d", "-1d", "7d 1h", "1.5h", "PTx"}) {
      assertThatThrownBy(() -> DurationConverter.parse(bad))
          .as(bad)
          .isInstanceOf(TypeConversionException.class)
          .hasMessageContaining("is not a length of time");
    }
    Cli.Result r = Cli.run("stats", "--connection", "memory://", "--since", "soon");
    r.expect(ExitCodes.USAGE);
    assertThat(r.err()).contains("'soon' is not a length of time");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Object o) {
    return (Map<String, Object>) o;
  }
}
