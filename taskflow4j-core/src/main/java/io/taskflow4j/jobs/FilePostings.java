package io.taskflow4j.jobs;

import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.StorageException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the file board keeps a job on disk: the posting's file name, which carries what claiming
 * needs (priority, sequence, uuid) so that finding the next job reads no file, and its JSON.
 *
 * <p>A name is {@code <code>-<sequence>-<uuid>.json}, {@code code} being the priority's {@link
 * JobPriority#code()}. Boards of earlier releases wrote the priority's position in the enum instead
 * ({@code 0} very high to {@code 4} very low, one digit); such names are still read, as the level
 * that position named then, and keep their place in the claiming order. They are not renamed: a
 * peer may hold the job's claim and write its posting under that name.
 */
final class FilePostings {
  static final String JSON = ".json";

  private static final Pattern NAME =
      Pattern.compile("([0-4]|[0-9]{2,9})-([0-9]{19})-([A-Za-z0-9][A-Za-z0-9-]{0,99})\\.json");

  /** The levels in the order earlier releases numbered them in posting names: never reorder. */
  private static final List<JobPriority> LEGACY_POSITIONS =
      List.of(
          JobPriority.VERY_HIGH,
          JobPriority.HIGH,
          JobPriority.NORMAL,
          JobPriority.LOW,
          JobPriority.VERY_LOW);

  /** Claiming order: priority code, then sequence. */
  static final Comparator<Name> CLAIMING_ORDER =
      Comparator.comparingInt(Name::code).thenComparingLong(Name::sequence);

  private FilePostings() {}

  /** A posting's file name, taken apart. */
  record Name(Path file, int code, long sequence, String uuid) {}

  /** The file name of a job's posting. */
  static String fileName(Job j) {
    return j.priority().code() + "-" + String.format("%019d", j.sequence()) + "-" + j.uuid() + JSON;
  }

  /** {@code file}'s name taken apart, or {@code null} when it names no posting. */
  static Name parse(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    if (!m.matches()) {
      return null;
    }
    String p = m.group(1);
    int code =
        p.length() == 1
            ? LEGACY_POSITIONS.get(Integer.parseInt(p)).code()
            : JobPriority.ofCode(Integer.parseInt(p)).code();
    return new Name(file, code, Long.parseLong(m.group(2)), m.group(3));
  }

  /** The postings of a board folder, in claiming order (names only: no file is read). */
  static List<Name> list(Path dir) {
    List<Name> out = new ArrayList<>();
    for (Path p : files(dir)) {
      Name n;
      try {
        n = parse(p);
      } catch (IncompatibleVersionException e) {
        throw new IncompatibleVersionException("The posting " + p + ": " + e.getMessage(), e);
      }
      if (n != null) {
        out.add(n);
      }
    }
    out.sort(CLAIMING_ORDER);
    return out;
  }

  /** The posting of a job (a checked uuid) in {@code dir}, or {@code null} when there is none. */
  static Path find(Path dir, String uuid) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "[0-9]*-" + uuid + JSON)) {
      for (Path p : ds) {
        Name n = parse(p);
        if (n != null && n.uuid().equals(uuid)) {
          return p;
        }
      }
      return null;
    } catch (IOException e) {
      throw failure("list", dir, e);
    }
  }

  // ---------------------------------------------------------------- files

  /** The {@code .json} files of a folder (not temporaries). */
  static List<Path> files(Path folder) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder, "[!.]*" + JSON)) {
      ds.forEach(out::add);
    } catch (NoSuchFileException e) {
      return out;
    } catch (IOException e) {
      throw failure("list", folder, e);
    }
    return out;
  }

  /** The postings in a folder, skipping those removed while listing. */
  static List<Map<?, ?>> readAll(Path folder) {
    List<Map<?, ?>> out = new ArrayList<>();
    for (Path f : files(folder)) {
      Map<?, ?> p = read(f);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  /** A posting's map, or {@code null} when the file is gone. */
  static Map<?, ?> read(Path file) {
    return readJson(file, "uuid");
  }

  /** A JSON object with a string {@code key}, or {@code null} when the file is gone. */
  static Map<?, ?> readJson(Path file, String key) {
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Object v;
    try {
      v = Json.read(raw);
    } catch (RuntimeException e) {
      throw new StorageException("The file " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    if (v instanceof Map<?, ?> m && m.get(key) instanceof String) {
      return m;
    }
    throw new StorageException("The file " + file + " is damaged (no '" + key + "')");
  }

  static byte[] readOrNull(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw failure("read", file, e);
    }
  }

  static StorageException failure(String action, Path path, IOException e) {
    return new StorageException("Could not " + action + " " + path + ": " + e, e);
  }

  // ---------------------------------------------------------------- postings as JSON

  static Map<String, Object> toMap(Job j, Object lastFailure, Object trashReason) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", j.uuid());
    m.put("name", j.name());
    m.put(
        "book", j.book() == null ? null : Map.of("name", j.book().name(), "uuid", j.book().uuid()));
    m.put("details", j.details());
    // The level's name: as stable as its code, and what a person reading the file understands.
    m.put("priority", j.priority().name());
    m.put("sequence", j.sequence());
    m.put("created_on", j.createdOn().toString());
    m.put("owner", j.owner());
    m.put("token", j.token());
    m.put("failures", j.failures());
    m.put("last_failure", lastFailure);
    m.put("idempotency_key", j.idempotencyKey());
    if (trashReason != null) {
      m.put("trash_reason", trashReason);
    }
    return m;
  }

  static Job toJob(Map<?, ?> p, JobState state, String owner) {
    return toJob(p, state, owner, number(p, "token"));
  }

  @SuppressWarnings("unchecked")
  static Job toJob(Map<?, ?> p, JobState state, String owner, long token) {
    BookRef book =
        p.get("book") instanceof Map<?, ?> b
            ? new BookRef(String.valueOf(b.get("name")), String.valueOf(b.get("uuid")))
            : null;
    return new Job(
        string(p, "uuid"),
        string(p, "name"),
        book,
        p.get("details") instanceof Map<?, ?> d ? (Map<String, Object>) d : Map.of(),
        JobPriority.parse(string(p, "priority")),
        number(p, "sequence"),
        instant(p, "created_on", "job '" + string(p, "uuid") + "'"),
        state,
        owner,
        token,
        (int) number(p, "failures"),
        p.get("idempotency_key") instanceof String k ? k : null);
  }

  static Job withFailures(Job j, int failures) {
    return new Job(
        j.uuid(),
        j.name(),
        j.book(),
        j.details(),
        j.priority(),
        j.sequence(),
        j.createdOn(),
        j.state(),
        j.owner(),
        j.token(),
        failures,
        j.idempotencyKey());
  }

  static String string(Map<?, ?> m, String key) {
    return m.get(key) instanceof String s ? s : String.valueOf(m.get(key));
  }

  static long number(Map<?, ?> m, String key) {
    return m.get(key) instanceof Number n ? n.longValue() : 0;
  }

  static Instant instant(Map<?, ?> m, String key, String where) {
    try {
      return Instant.parse(string(m, key));
    } catch (RuntimeException e) {
      throw new StorageException("'" + key + "' of " + where + " is not a time: " + m.get(key), e);
    }
  }
}
