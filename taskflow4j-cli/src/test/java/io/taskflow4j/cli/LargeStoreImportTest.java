package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * import and migrate of a store whose export is larger than the heap they run with: memory holds
 * one logbook at a time, never the file or the store.
 */
class LargeStoreImportTest {
  static final int BOOKS = 100;
  static final int FLOWS = 100;
  static final int ATOMS = 10;
  static final String HEAP = "-Xmx32m";

  @TempDir Path dir;

  @Test
  void aStoreLargerThanTheHeapImportsAndMigratesAndALastBadBookWritesNothing() throws Exception {
    String source = Cli.sqlite(dir.resolve("source.db"));
    try (Backend b = Backends.open(source);
        Connection c = b.getConnection()) {
      for (int i = 0; i < BOOKS; i++) {
        c.replaceLogBook(book(i, FLOWS, ATOMS));
      }
    }
    Path file = dir.resolve("large.json");
    Cli.run("export", "--connection", source, "-o", file.toString()).expect(ExitCodes.OK);
    // the file alone would not fit in the heap, let alone the books read from it
    assertThat(Files.size(file)).isGreaterThan(32L << 20);

    String imported = Cli.sqlite(dir.resolve("imported.db"));
    Cli.Result r = runSmallJvm("import", file.toString(), "--connection", imported);
    r.expect(ExitCodes.OK);
    assertThat(r.err()).contains("Imported " + BOOKS + " logbook(s)");
    assertThat(counts(imported)).containsExactly(BOOKS, BOOKS * FLOWS, BOOKS * FLOWS * ATOMS);

    String migrated = Cli.sqlite(dir.resolve("migrated.db"));
    Cli.Result m = runSmallJvm("migrate", "--from", imported, "--to", migrated);
    m.expect(ExitCodes.OK);
    assertThat(m.out())
        .contains(
            "Migrated and verified "
                + BOOKS
                + " logbook(s), "
                + BOOKS * FLOWS
                + " flow(s), "
                + BOOKS * FLOWS * ATOMS
                + " atom(s)");
    assertThat(counts(migrated)).containsExactly(BOOKS, BOOKS * FLOWS, BOOKS * FLOWS * ATOMS);

    // the same file with one more book at its end, holding a flow of the first book
    LogBook first = book(0, 1, 1);
    LogBook last = book(BOOKS, 1, 1).withFlows(List.of(first.flows().get(0)));
    Path bad = appendBook(file, dir.resolve("bad.json"), last);
    String target = Cli.sqlite(dir.resolve("target.db"));
    Cli.Result refused = runSmallJvm("import", bad.toString(), "--connection", target);
    refused.expect(ExitCodes.BAD_FILE);
    assertThat(refused.err())
        .contains("logbook " + last.uuid())
        .contains("uuid " + first.flows().get(0).atoms().get(0).uuid() + " appears more than once")
        .contains("nothing was imported");
    assertThat(counts(target)).containsExactly(0, 0, 0);
  }

  /** Runs the command in a new JVM whose heap is smaller than the export file. */
  private Cli.Result runSmallJvm(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Cli.javaBinary());
    cmd.add(HEAP);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    return Cli.runProcess(dir, cmd);
  }

  /** A copy of an export file with {@code book} added as its last logbook. */
  static Path appendBook(Path file, Path copy, LogBook book) throws IOException {
    Files.copy(file, copy);
    long size = Files.size(copy);
    int tail = (int) Math.min(size, 64);
    byte[] end = new byte[tail];
    try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.READ)) {
      ch.read(java.nio.ByteBuffer.wrap(end), size - tail);
    }
    String text = new String(end, StandardCharsets.UTF_8);
    int close = text.lastIndexOf(']'); // the end of "logbooks"
    String added = ",\n" + io.taskflow4j.persistence.Json.write(ExportFormat.book(book)) + "\n";
    try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
      ch.truncate(size - tail + close);
      ch.position(size - tail + close);
      ch.write(
          java.nio.ByteBuffer.wrap(
              (added + text.substring(close)).getBytes(StandardCharsets.UTF_8)));
    }
    return copy;
  }

  /** Books, flows and atoms a store holds, counted book by book. */
  static List<Integer> counts(String connection) {
    try (Backend b = Backends.open(connection);
        Connection c = b.getConnection()) {
      return counts(c);
    }
  }

  /** Books, flows and atoms a store holds, counted book by book. */
  static List<Integer> counts(Connection c) {
    int[] n = new int[3];
    {
      c.forEachLogBook(
          false,
          book -> {
            n[0]++;
            n[1] += book.size();
            for (FlowDetail fd : book.flows()) {
              n[2] += fd.size();
            }
          },
          damaged -> {
            throw damaged;
          });
    }
    return List.of(n[0], n[1], n[2]);
  }

  /** Book {@code i}: {@code flows} SUCCESS flows of {@code atoms} SUCCESS tasks, uuids from i. */
  static LogBook book(int i, int flows, int atoms) {
    Instant created = Instant.parse("2025-03-04T05:06:07.123456Z").plusSeconds(i);
    List<FlowDetail> fl = new ArrayList<>(flows);
    for (int j = 0; j < flows; j++) {
      List<AtomDetail> al = new ArrayList<>(atoms);
      for (int k = 0; k < atoms; k++) {
        al.add(
            TaskDetail.of("task-" + k, uuid(i, j + 1, k + 1))
                .put(AtomState.SUCCESS, Map.of("order", "A-" + i + "-" + j + "-" + k, "ok", true))
                .withMeta(Map.of("duration", 0.25, "host", "worker-" + (k % 4))));
      }
      fl.add(
          FlowDetail.of(uuid(i, j + 1, 0), "flow-" + j, FlowState.SUCCESS, Map.of(), al, 0)
              .withTimes(created, created.plusSeconds(j)));
    }
    return LogBook.of(uuid(i, 0, 0), "book-" + i, created, created.plusSeconds(60), Map.of(), fl);
  }

  /** A canonical uuid made of the book, flow and atom numbers. */
  static String uuid(int book, int flow, int atom) {
    return String.format("%08x-%04x-4%03x-8000-%012x", book, flow, atom, (long) book * 1000 + flow);
  }
}
