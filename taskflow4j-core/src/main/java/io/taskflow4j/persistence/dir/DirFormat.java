package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFiles.readOrNull;
import static io.taskflow4j.persistence.dir.DirStore.CONTENT_REVISION_BASE;
import static io.taskflow4j.persistence.dir.DirStore.K_CRC;
import static io.taskflow4j.persistence.dir.DirStore.K_CREATED_AT;
import static io.taskflow4j.persistence.dir.DirStore.K_NEXT_SEQ;
import static io.taskflow4j.persistence.dir.DirStore.K_PARENT;
import static io.taskflow4j.persistence.dir.DirStore.K_REVISION;
import static io.taskflow4j.persistence.dir.DirStore.K_SEAL;
import static io.taskflow4j.persistence.dir.DirStore.K_SEQ;
import static io.taskflow4j.persistence.dir.DirStore.K_UPDATED_AT;
import static io.taskflow4j.persistence.dir.DirStore.MAX_ID_BYTES;
import static io.taskflow4j.persistence.dir.DirStore.METADATA;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.dir.DirFormat.Header;
import io.taskflow4j.persistence.dir.DirStore.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The records of a {@link DirStore} as bytes and back: TaskFlow's JSON plus our bookkeeping keys
 * ({@code revision}, {@code seq}, {@code next_seq}, {@code parent}), the revision derived from a
 * record TaskFlow wrote, the error that names a damaged file, and which ids can be file names.
 * Stateless.
 */
final class DirFormat {
  private DirFormat() {}

  // Reads one value where a streaming parser stands (the shared mapper refuses trailing tokens).
  private static final ObjectReader VALUE =
      Json.mapper().readerFor(Object.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * The bookkeeping keys of a stored object, read without building the whole object; {@code
   * createdAt}: a flow detail's {@code created_at} key, {@code null} when it has none.
   */
  record Header(
      long revision, long seq, long nextSeq, String parent, String type, Instant createdAt) {}

  /**
   * What a flow listing needs of a flow detail's record, read without its meta: times {@code null}
   * when the record has no time keys (TaskFlow wrote it).
   */
  record FlowHead(
      String uuid,
      String name,
      FlowState state,
      long revision,
      String parent,
      Instant createdAt,
      Instant updatedAt) {}

  /** What a save keeps of a stored book: its creation time (if readable) and its positions. */
  record BookHeader(Instant createdAt, long seq, long nextSeq) {}

  // ------------------------------------------------------------------ JSON

  static Map<?, ?> parseMap(Path file, byte[] raw) {
    Object v;
    try {
      v = Json.read(raw);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage(), e);
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw corrupt(file, "it does not hold a JSON object", null);
    }
    return m;
  }

  /** Reads the bookkeeping keys of a record, checking that the whole file is valid JSON. */
  static Header header(Path file, byte[] raw) {
    long[] numbers = {-1, -1, -1, -1}; // revision, seq, next seq, seal
    String[] texts = new String[2]; // parent, type
    Instant[] createdAt = new Instant[1];
    forEachField(
        file,
        raw,
        (p, name, v) -> {
          switch (name) {
            case K_REVISION -> numbers[0] = number(p, v, file, name, -1);
            case K_SEQ -> numbers[1] = number(p, v, file, name, -1);
            case K_NEXT_SEQ -> numbers[2] = number(p, v, file, name, -1);
            case K_SEAL -> numbers[3] = number(p, v, file, name, -1);
            case K_PARENT -> texts[0] = v == JsonToken.VALUE_STRING ? p.getText() : null;
            case "type" -> texts[1] = v == JsonToken.VALUE_STRING ? p.getText() : null;
            case K_CREATED_AT -> createdAt[0] = time(VALUE.readValue(p), file);
            default -> p.skipChildren();
          }
        });
    long revision = numbers[0];
    // (A record without our revision was written by something that kept a seal it did not know.)
    if (numbers[3] >= 0 && revision >= 0 && numbers[3] != revision) {
      throw corrupt(
          file,
          "its seal ("
              + numbers[3]
              + ") is not its revision ("
              + revision
              + "): it was read half-written, or is damaged",
          null);
    }
    return new Header(
        revision >= 0 ? revision : contentRevision(raw),
        numbers[1],
        numbers[2],
        texts[0],
        texts[1],
        createdAt[0]);
  }

  /** What {@link #forEachField} hands each top-level field to (positioned on its value). */
  @FunctionalInterface
  private interface FieldReader {
    void field(JsonParser p, String name, JsonToken value) throws IOException;
  }

  /**
   * Streams over the top-level fields of a record that must be one complete JSON object, handing
   * each to {@code reader}, which reads or skips its value; a record that is not one is damaged.
   */
  private static void forEachField(Path file, byte[] raw, FieldReader reader) {
    checkSum(file, raw);
    try (JsonParser p = Json.mapper().getFactory().createParser(raw)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw corrupt(file, "it does not hold a JSON object", null);
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        reader.field(p, name, p.nextToken());
      }
      if (t != JsonToken.END_OBJECT) {
        throw corrupt(file, "it is not a complete JSON object", null);
      }
      if (p.nextToken() != null) {
        throw corrupt(file, "something follows its JSON object", null);
      }
    } catch (IOException e) {
      throw corrupt(file, "not valid JSON: " + firstLine(e.getMessage()), e);
    }
  }

  /**
   * Reads what a flow listing needs of a flow detail's record, streaming over its meta (which may
   * be large) without building it, and checking that the whole file is valid JSON.
   */
  static FlowHead flowHead(Path file, byte[] raw) {
    long[] revisionOf = {-1};
    Object[] fields = new Object[4]; // uuid, name, state, parent
    Instant[] times = new Instant[2]; // created, updated
    forEachField(
        file,
        raw,
        (p, key, v) -> {
          switch (key) {
            case "uuid" -> fields[0] = v == JsonToken.VALUE_STRING ? p.getText() : null;
            case "name" ->
                fields[1] = v.isScalarValue() && v != JsonToken.VALUE_NULL ? p.getText() : null;
            case "state" -> fields[2] = v == JsonToken.VALUE_STRING ? p.getText() : null;
            case K_REVISION -> revisionOf[0] = number(p, v, file, key, -1);
            case K_PARENT -> fields[3] = v == JsonToken.VALUE_STRING ? p.getText() : null;
            case K_CREATED_AT -> times[0] = time(VALUE.readValue(p), file);
            case K_UPDATED_AT -> times[1] = time(VALUE.readValue(p), file);
            default -> p.skipChildren();
          }
        });
    long revision = revisionOf[0];
    String uuid = (String) fields[0];
    Object name = fields[1];
    Object state = fields[2];
    String parent = (String) fields[3];
    Instant created = times[0];
    Instant updated = times[1];
    if (uuid == null) {
      throw corrupt(file, "a flow detail needs a 'uuid' string", null);
    }
    FlowState s;
    try {
      s = TaskFlowFormat.flowState(state);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage(), e);
    }
    return new FlowHead(
        uuid,
        name == null ? uuid : name.toString(),
        s,
        revision >= 0 ? revision : contentRevision(raw),
        parent,
        created,
        updated);
  }

  /**
   * The state of an atom detail's record ({@code atom.state}), streaming over the rest (its results
   * may be large) and checking that the whole file is valid JSON.
   */
  static AtomState atomState(Path file, byte[] raw) {
    Object[] stateOf = new Object[1];
    boolean[] sawAtomOf = {false};
    forEachField(
        file,
        raw,
        (p, key, v) -> {
          if (key.equals("atom") && v == JsonToken.START_OBJECT) {
            sawAtomOf[0] = true;
            JsonToken a;
            while ((a = p.nextToken()) == JsonToken.FIELD_NAME) {
              String field = p.currentName();
              JsonToken fv = p.nextToken();
              if (field.equals("state") && fv == JsonToken.VALUE_STRING) {
                stateOf[0] = p.getText();
              } else {
                p.skipChildren();
              }
            }
            if (a != JsonToken.END_OBJECT) {
              throw corrupt(file, "it is not a complete JSON object", null);
            }
          } else {
            p.skipChildren();
          }
        });
    Object state = stateOf[0];
    boolean sawAtom = sawAtomOf[0];
    if (!sawAtom) {
      throw corrupt(file, "an atom record needs an 'atom' dict", null);
    }
    try {
      return TaskFlowFormat.atomState(state);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /** A record time (TaskFlow's marshalled dict, or ISO-8601 text), {@code null} when null. */
  static Instant time(Object v, Path file) {
    try {
      return TaskFlowFormat.unmarshalTime(v);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /** The revision of a parsed record: its {@code revision} key, or derived from its bytes. */
  static long revision(Map<?, ?> m, byte[] raw) {
    long r = longKey(m, K_REVISION, -1);
    return r >= 0 ? r : contentRevision(raw);
  }

  /**
   * The revision of a record without a {@code revision} key: TaskFlow wrote it (from {@code
   * to_dict()}, dropping our keys). Derived from the file's bytes, so every TaskFlow write that
   * changes the record changes it: a copy read before that write no longer matches (a stale write
   * is refused), a copy read after it does (and our write then stores this value + 1 in the key,
   * above every counter of ours). The range is disjoint from our counters, which start at 1 and
   * grow by one per write.
   */
  static long contentRevision(byte[] raw) {
    byte[] d;
    try {
      d = MessageDigest.getInstance("SHA-256").digest(raw);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
    long h = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (d[i] & 0xff);
    }
    return CONTENT_REVISION_BASE + (h & ((1L << 61) - 1));
  }

  static long number(JsonParser p, JsonToken v, Path file, String key, long absent)
      throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return absent;
    }
    if (v != JsonToken.VALUE_NUMBER_INT) {
      throw corrupt(file, "'" + key + "' is not a whole number", null);
    }
    return p.getLongValue();
  }

  static long longKey(Map<?, ?> m, String key, long absent) {
    Object v = m.get(key);
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    return absent;
  }

  static Instant createdAt(Map<?, ?> m, Path file) {
    return time(m.get(K_CREATED_AT), file);
  }

  /**
   * A record's file cannot be read as one: a {@link CorruptRecordException} naming the record (kind
   * and uuid from the file's place in the layout, {@code <kind dir>/<uuid>/metadata}) and the file.
   */
  static StorageException corrupt(Path file, String why, Throwable cause) {
    Path object = file.getParent();
    Path kindDir = object == null ? null : object.getParent();
    Kind kind = kindDir == null ? null : Kind.ofDirName(kindDir.getFileName().toString());
    if (kind == null) {
      return new StorageException("unreadable file " + file + ": " + firstLine(why), cause);
    }
    return new CorruptRecordException(
        kind.recordKind,
        object.getFileName().toString(),
        null,
        "file " + file,
        firstLine(why),
        cause);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl > 0 ? s.substring(0, nl) : s;
  }

  // ------------------------------------------------------------------ ids

  static void checkIds(FlowDetail fd) {
    checkId(fd.uuid(), Kind.FLOW);
    for (AtomDetail ad : fd.atoms()) {
      checkId(ad.uuid(), Kind.ATOM);
    }
  }

  static void checkId(String id, Kind kind) {
    String problem = idProblem(id);
    if (problem != null) {
      throw new IllegalArgumentException(
          kind.label
              + " uuid '"
              + printable(id)
              + "' cannot be used in a directory store: "
              + problem
              + " (use a uuid such as '"
              + UUID.randomUUID()
              + "')");
    }
  }

  /** Why an id cannot be a file name inside the store, or {@code null} when it can. */
  static String idProblem(String id) {
    if (id == null || id.isEmpty()) {
      return "it is empty";
    }
    if (id.equals(".") || id.equals("..")) {
      return "it would name a directory outside the object";
    }
    if (id.startsWith(".")) {
      return "names starting with '.' are reserved for temporary files";
    }
    if (id.equals(METADATA) || id.equals("lock")) {
      return "'" + id + "' is a reserved file name";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '/' || c == '\\') {
        return "it contains a path separator";
      }
      if (c == 0) {
        return "it contains a NUL character";
      }
      if (Character.isISOControl(c)) {
        return "it contains a control character";
      }
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
      return "it is longer than " + MAX_ID_BYTES + " bytes";
    }
    return null;
  }

  private static String printable(String id) {
    if (id == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < id.length() && sb.length() < 80; i++) {
      char c = id.charAt(i);
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    return id.length() > 80 ? sb + "..." : sb.toString();
  }

  /** The stored book's header, or {@code null} when the book is not stored. */
  static BookHeader bookHeader(Path bookDir) {
    Path file = bookDir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    return new BookHeader(createdAt(m, file), longKey(m, K_SEQ, -1), longKey(m, K_NEXT_SEQ, -1));
  }

  static byte[] bookJson(LogBook bare, long seq, long nextSeq) {
    Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.logBookToMap(bare, true));
    if (seq >= 0) {
      m.put(K_SEQ, seq);
    }
    if (nextSeq >= 0) {
      m.put(K_NEXT_SEQ, nextSeq);
    }
    return Json.writeBytes(m);
  }

  static byte[] atomJson(AtomDetail ad, long revision, long seq, String parent) {
    return atomJson(ad, revision, seq, parent, false);
  }

  /**
   * An atom's record; {@code sealed} for one rewritten in place, which starts with its revision
   * ({@link DirStore#K_SEAL}) as well as ending with it.
   */
  /** {@code ,"tf4j_crc":"}: what comes before a record's checksum. */
  private static final byte[] CRC_KEY =
      (",\"" + K_CRC + "\":\"").getBytes(StandardCharsets.US_ASCII);

  /** The length of a record's checksum suffix: the key, eight hex digits, {@code "}}. */
  private static final int CRC_SUFFIX = CRC_KEY.length + 10;

  /**
   * {@code json} (an object) with its checksum as its last key ({@link DirStore#K_CRC}): the CRC32C
   * of every byte before that key.
   */
  static byte[] withChecksum(byte[] json) {
    int body = json.length - 1; // up to the closing brace
    CRC32C crc = new CRC32C();
    crc.update(json, 0, body);
    byte[] hex =
        String.format(java.util.Locale.ROOT, "%08x\"}", crc.getValue())
            .getBytes(StandardCharsets.US_ASCII);
    byte[] out = java.util.Arrays.copyOf(json, body + CRC_KEY.length + hex.length);
    System.arraycopy(CRC_KEY, 0, out, body, CRC_KEY.length);
    System.arraycopy(hex, 0, out, body + CRC_KEY.length, hex.length);
    return out;
  }

  /**
   * Checks a record's checksum when it ends with one (spaces after it allowed); a record without
   * one (TaskFlow's, or written before checksums) is not checked here.
   *
   * @throws CorruptRecordException when it does not match: read half-written, or damaged
   */
  static void checkSum(Path file, byte[] raw) {
    int end = raw.length;
    while (end > 0 && (raw[end - 1] == ' ' || raw[end - 1] == '\n')) {
      end--;
    }
    int start = end - CRC_SUFFIX;
    if (start < 1
        || raw[end - 1] != '}'
        || raw[end - 2] != '"'
        || !java.util.Arrays.equals(
            raw, start, start + CRC_KEY.length, CRC_KEY, 0, CRC_KEY.length)) {
      return;
    }
    long stored;
    try {
      stored =
          Long.parseLong(new String(raw, start + CRC_KEY.length, 8, StandardCharsets.US_ASCII), 16);
    } catch (NumberFormatException e) {
      stored = -1;
    }
    CRC32C crc = new CRC32C();
    crc.update(raw, 0, start);
    if (crc.getValue() != stored) {
      throw corrupt(
          file, "its checksum does not match: it was read half-written, or is damaged", null);
    }
  }

  static byte[] atomJson(AtomDetail ad, long revision, long seq, String parent, boolean sealed) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (sealed) {
      m.put(K_SEAL, revision);
    }
    m.putAll(TaskFlowFormat.atomToEnvelope(ad));
    m.put(K_REVISION, revision);
    if (seq >= 0) {
      m.put(K_SEQ, seq);
    }
    if (parent != null) {
      m.put(K_PARENT, parent);
    }
    return sealed ? withChecksum(Json.writeBytes(m)) : Json.writeBytes(m);
  }

  /** The header of an object's metadata file, or {@code null} when it has none. */
  static Header readHeader(Path objectDir) {
    Path file = objectDir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    return raw == null ? null : header(file, raw);
  }
}
