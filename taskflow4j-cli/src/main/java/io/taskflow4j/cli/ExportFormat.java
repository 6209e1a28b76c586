package io.taskflow4j.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The backend-neutral export format of logbooks, version 2:
 *
 * <pre>{@code
 * {"format": "taskflow4j-export", "version": 2, "exported_at": "2026-01-02T03:04:05.123456Z",
 *  "logbooks": [
 *    {"uuid", "name", "created_at", "updated_at", "meta",
 *     "flows": [
 *       {"uuid", "name", "state", "created_at", "updated_at", "meta",
 *        "atoms": [{"uuid", "name", "type", "state", "intention", "version", "results",
 *                   "failure", "revert_results", "revert_failure", "meta"}]}]}]}
 * }</pre>
 *
 * <p>Times are ISO-8601 UTC strings to the microsecond; values are JSON as stored; {@code type} is
 * {@code TASK_DETAIL} or {@code RETRY_DETAIL}; failures are TaskFlow's failure dicts; a retry's
 * {@code results} is its history, {@code [[value, {atom: failure}], ...]}. Revisions are left out:
 * they belong to a store, not to the data.
 *
 * <p>A flow's {@code created_at} and {@code updated_at} are the record times its store kept ({@code
 * FlowDetail.createdAt()/updatedAt()}, what retention and {@code stats --since} measure); import
 * writes them back, so a copied store reports the same ages. They are {@code null} when the source
 * store did not know them. Version 1, the same without them, is still read: its flows take their
 * logbook's times.
 */
final class ExportFormat {
  /** The value of the {@code format} key. */
  static final String FORMAT = "taskflow4j-export";

  /** The version this code writes (and the newest it reads). */
  static final int VERSION = 2;

  /** The oldest version this code reads: version 1, whose flows carry no record times. */
  static final int OLDEST_VERSION = 1;

  private ExportFormat() {}

  /** The whole document for these books. */
  static Map<String, Object> document(List<LogBook> books) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", FORMAT);
    doc.put("version", VERSION);
    doc.put("exported_at", Instant.now().toString());
    List<Object> list = new ArrayList<>(books.size());
    for (LogBook b : books) {
      list.add(book(b));
    }
    doc.put("logbooks", list);
    return doc;
  }

  /** One book with its flows and their atoms. */
  static Map<String, Object> book(LogBook book) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", book.uuid());
    m.put("name", book.name());
    m.put("created_at", time(book.createdAt()));
    m.put("updated_at", time(book.updatedAt()));
    m.put("meta", book.meta());
    List<Object> flows = new ArrayList<>();
    for (FlowDetail fd : book.flows()) {
      flows.add(flow(fd));
    }
    m.put("flows", flows);
    return m;
  }

  static Map<String, Object> flow(FlowDetail fd) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", fd.uuid());
    m.put("name", fd.name());
    m.put("state", fd.state().name());
    m.put("created_at", time(fd.createdAt()));
    m.put("updated_at", time(fd.updatedAt()));
    m.put("meta", fd.meta());
    List<Object> atoms = new ArrayList<>();
    for (AtomDetail ad : fd.atoms()) {
      atoms.add(atom(ad));
    }
    m.put("atoms", atoms);
    return m;
  }

  static Map<String, Object> atom(AtomDetail ad) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", ad.uuid());
    m.put("name", ad.name());
    m.put("type", ad.typeName());
    m.put("state", ad.state().name());
    m.put("intention", ad.intention().name());
    m.put("version", ad.version());
    m.put("results", TaskFlowFormat.resultsToJson(ad));
    m.put("failure", TaskFlowFormat.failureToMap(ad.failure()));
    m.put("revert_results", ad.revertResults());
    m.put("revert_failure", TaskFlowFormat.failureToMap(ad.revertFailure()));
    m.put("meta", ad.meta());
    return m;
  }

  /**
   * The {@code export --format jsonl} line of one atom: its book, flow and own fields flattened,
   * its timing from the meta the engine records, its failure's type and message, and the size of
   * its result (the schema is documented in docs/CLI.md).
   */
  static Map<String, Object> atomLine(LogBook book, FlowDetail fd, AtomDetail ad) {
    Map<String, Object> meta = ad.meta();
    Failure failure = ad.failure();
    Object results = TaskFlowFormat.resultsToJson(ad);
    Instant flowCreated = fd.createdAt() != null ? fd.createdAt() : book.createdAt();
    Instant flowUpdated =
        fd.updatedAt() != null
            ? fd.updatedAt()
            : book.updatedAt() != null ? book.updatedAt() : book.createdAt();
    Map<String, Object> m = new LinkedHashMap<>(32);
    m.put("book_uuid", book.uuid());
    m.put("book_name", book.name());
    m.put("flow_uuid", fd.uuid());
    m.put("flow_name", fd.name());
    m.put("flow_state", fd.state().name());
    m.put("atom_uuid", ad.uuid());
    m.put("atom_name", ad.name());
    m.put("atom_type", ad.typeName());
    m.put("state", ad.state().name());
    m.put("intention", ad.intention().name());
    m.put("started_at", text(meta.get(AtomDetail.META_STARTED_AT)));
    m.put("ended_at", text(meta.get(AtomDetail.META_ENDED_AT)));
    m.put("duration", meta.get(AtomDetail.META_DURATION) instanceof Number n ? n : null);
    m.put("attempt", meta.get(AtomDetail.META_ATTEMPT) instanceof Number n ? n : null);
    m.put("host", text(meta.get(AtomDetail.META_HOST)));
    m.put("exception_type", failure == null ? null : failure.typeName());
    m.put("exception_message", failure == null ? null : failure.exceptionStr());
    m.put("result_bytes", results == null ? 0 : Json.writeBytes(results).length);
    m.put("flow_created_at", time(flowCreated));
    m.put("flow_updated_at", time(flowUpdated));
    return m;
  }

  /** A meta value that is a time or a name, as text (a {@link Stamp} as its ISO-8601 text). */
  private static String text(Object v) {
    return v == null ? null : v instanceof String s ? s : v.toString();
  }

  /** A copy of a book read from one store, ready to be written to another (revisions 0). */
  static LogBook withoutRevisions(LogBook book) {
    List<FlowDetail> flows = new ArrayList<>();
    for (FlowDetail fd : book.flows()) {
      List<AtomDetail> atoms = new ArrayList<>();
      for (AtomDetail ad : fd.atoms()) {
        atoms.add(ad.withRevision(0));
      }
      flows.add(fd.withAtoms(atoms).withRevision(0));
    }
    return book.withFlows(flows);
  }

  private static String time(Instant t) {
    return t == null ? null : t.toString();
  }

  /** A document that is not a valid export: what is wrong, and where. */
  static final class InvalidExportException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidExportException(String message) {
      super(message);
    }
  }

  /**
   * Reads a whole document held in memory, checking everything before anything is written. (Import
   * reads a file with {@link ExportFile} instead, one book at a time, with the same checks.)
   *
   * @return the books it holds, revisions 0 (to be written unconditionally)
   * @throws InvalidExportException saying what is wrong and where
   */
  static List<LogBook> read(byte[] bytes) throws InvalidExportException {
    Object doc;
    try {
      doc = Json.read(bytes);
    } catch (IllegalArgumentException e) {
      throw new InvalidExportException(Main.oneLine(e.getMessage()));
    }
    if (!(doc instanceof Map<?, ?> m)) {
      throw new InvalidExportException("the file is JSON but not an object");
    }
    int version = version(m.get("format"), m.get("version"));
    if (!(m.get("logbooks") instanceof List<?> books)) {
      throw new InvalidExportException("\"logbooks\" must be a list");
    }
    BookReader reader = new BookReader(version, true);
    List<LogBook> out = new ArrayList<>(books.size());
    for (Object b : books) {
      out.add(reader.next(b));
    }
    return out;
  }

  /** Checks a document's {@code format} and {@code version}; returns the version. */
  private static int version(Object format, Object version) throws InvalidExportException {
    if (!FORMAT.equals(format)) {
      throw new InvalidExportException(
          "not a taskflow4j export: its \"format\" is "
              + (format == null ? "missing" : "'" + format + "'")
              + ", expected '"
              + FORMAT
              + "'");
    }
    if (!(version instanceof Integer v) || v < OLDEST_VERSION || v > VERSION) {
      throw new InvalidExportException(
          "export format version "
              + version
              + " is not supported; this taskflow4j reads versions "
              + OLDEST_VERSION
              + " to "
              + VERSION);
    }
    return v;
  }

  /**
   * Turns the elements of a document's {@code "logbooks"}, in order, into books, checking each: its
   * fields, its strings, and (when asked) that no uuid of a book, a flow or an atom appears twice
   * in the document, across books too. Only the uuids met so far are kept, compactly.
   */
  static final class BookReader {
    private final boolean flowTimes;
    private final UuidSet bookIds;
    private final UuidSet flowIds;
    private final UuidSet atomIds;
    private int count;

    /**
     * @param version the document's; before 2, flows carry no record times
     * @param unique refuse a uuid met before (off when the document was checked already)
     */
    BookReader(int version, boolean unique) {
      this.flowTimes = version >= 2;
      this.bookIds = unique ? new UuidSet() : null;
      this.flowIds = unique ? new UuidSet() : null;
      this.atomIds = unique ? new UuidSet() : null;
    }

    /** How many elements were read. */
    int count() {
      return count;
    }

    /** The next element as a book, revisions 0. */
    LogBook next(Object element) throws InvalidExportException {
      count++;
      String where = "logbook #" + count;
      try {
        Map<?, ?> bm = object(element, where);
        where = "logbook " + bm.get("uuid");
        List<FlowDetail> flows = new ArrayList<>();
        List<?> fl = list(bm.get("flows"), where + ": \"flows\"");
        for (int j = 0; j < fl.size(); j++) {
          String fwhere = where + ", flow #" + (j + 1);
          Map<?, ?> fm = object(fl.get(j), fwhere);
          fwhere = where + ", flow " + fm.get("uuid");
          List<AtomDetail> atoms = new ArrayList<>();
          List<?> al = list(fm.get("atoms"), fwhere + ": \"atoms\"");
          for (int k = 0; k < al.size(); k++) {
            String awhere = fwhere + ", atom #" + (k + 1);
            Map<?, ?> am = object(al.get(k), awhere);
            Object type = am.get("type");
            if (!(type instanceof String t)) {
              throw new InvalidExportException(awhere + ": \"type\" is missing");
            }
            try {
              AtomDetail ad = TaskFlowFormat.atomFromMap(t, am, 0);
              unique(atomIds, ad.uuid(), awhere);
              atoms.add(ad);
            } catch (IllegalArgumentException e) {
              throw new InvalidExportException(awhere + ": " + Main.oneLine(e.getMessage()));
            }
          }
          try {
            FlowDetail fd = TaskFlowFormat.flowDetailFromMap(fm, atoms, 0);
            if (flowTimes) {
              fd = fd.withTimes(time(fm, "created_at", fwhere), time(fm, "updated_at", fwhere));
            }
            requireString(fm, "name", fwhere);
            unique(flowIds, fd.uuid(), fwhere);
            flows.add(fd);
          } catch (IllegalArgumentException e) {
            throw new InvalidExportException(fwhere + ": " + Main.oneLine(e.getMessage()));
          }
        }
        try {
          requireString(bm, "name", where);
          if (bm.get("created_at") == null) {
            throw new InvalidExportException(where + ": \"created_at\" is missing");
          }
          LogBook book = withBookTimes(TaskFlowFormat.logBookFromMap(bm, flows));
          unique(bookIds, book.uuid(), where);
          // Strings the model took as they were read (failures, nested values) are checked too.
          StoreLimits.NONE.check(book);
          return book;
        } catch (IllegalArgumentException e) {
          throw new InvalidExportException(where + ": " + Main.oneLine(e.getMessage()));
        }
      } catch (ClassCastException e) {
        throw new InvalidExportException(where + ": malformed (" + e.getMessage() + ")");
      }
    }
  }

  /**
   * An export file read one book at a time, so that memory holds one book, never the file, however
   * large it is. {@link #open} reads the file through once: its JSON syntax, its header (format,
   * version, a list of logbooks), how many books it lists. {@link #forEachBook} then reads the
   * books, as often as needed: each is parsed by {@link Json#read} from its own bytes, the very
   * parse a whole document gets, and checked by a {@link BookReader}. Only UTF-8 files can be read
   * this way, which is what {@code export} writes and what JSON exchanged between systems must be.
   */
  static final class ExportFile {
    private final Path path;
    private final int version;
    private final int size;

    private ExportFile(Path path, int version, int size) {
      this.path = path;
      this.version = version;
      this.size = size;
    }

    /** How many books the file lists. */
    int size() {
      return size;
    }

    /**
     * Reads the file through, checking its syntax and header.
     *
     * @throws IOException when it cannot be read ({@link java.nio.file.NoSuchFileException} ...)
     * @throws InvalidExportException when it is not a readable export
     */
    static ExportFile open(Path path) throws IOException, InvalidExportException {
      try (InputStream in = Files.newInputStream(path);
          JsonParser p = Json.mapper().getFactory().createParser(in)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          p.skipChildren();
          requireEnd(p);
          throw new InvalidExportException("the file is JSON but not an object");
        }
        Object format = null;
        Object version = null;
        JsonToken logbooks = null;
        int size = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonToken value = p.nextToken();
          switch (name) {
            case "format" -> format = scalar(p);
            case "version" -> version = scalar(p);
            case "logbooks" -> {
              logbooks = value;
              if (value == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                  size++;
                  p.skipChildren();
                }
              } else {
                p.skipChildren();
              }
            }
            default -> p.skipChildren();
          }
        }
        requireEnd(p);
        int v = version(format, version);
        if (logbooks != JsonToken.START_ARRAY) {
          throw new InvalidExportException("\"logbooks\" must be a list");
        }
        return new ExportFile(path, v, size);
      } catch (StreamReadException e) {
        throw notJson(e);
      }
    }

    /**
     * Hands each book, read and checked, to {@code action}, in the file's order; an exception
     * {@code action} throws ends the reading and propagates.
     *
     * @param unique refuse a uuid listed twice (needed once per file, and costing 16 bytes per
     *     uuid)
     */
    void forEachBook(boolean unique, Consumer<LogBook> action)
        throws IOException, InvalidExportException {
      BookReader reader = new BookReader(version, unique);
      try (InputStream in = Files.newInputStream(path);
          JsonParser p = Json.mapper().getFactory().createParser(in);
          FileChannel channel = FileChannel.open(path)) {
        p.nextToken();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          boolean books = p.currentName().equals("logbooks");
          p.nextToken();
          if (!books) {
            p.skipChildren();
            continue;
          }
          JsonToken t;
          while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
            Object element;
            if (t == JsonToken.START_OBJECT) {
              long start = p.currentTokenLocation().getByteOffset();
              p.skipChildren();
              long end = p.currentTokenLocation().getByteOffset() + 1;
              element = parse(channel, start, end, "logbook #" + (reader.count() + 1));
            } else {
              p.skipChildren(); // not an object: the reader says so
              element = t == JsonToken.START_ARRAY ? List.of() : p.getText();
            }
            action.accept(reader.next(element));
          }
          return;
        }
      } catch (StreamReadException e) {
        throw notJson(e); // the file changed since it was opened
      }
    }

    private static Object parse(FileChannel channel, long start, long end, String where)
        throws IOException, InvalidExportException {
      if (start < 0 || end <= start) {
        throw new InvalidExportException("the file is not UTF-8 encoded");
      }
      if (end - start > Integer.MAX_VALUE - 16) {
        throw new InvalidExportException(where + " is over 2 GB, more than can be read");
      }
      ByteBuffer bytes = ByteBuffer.allocate((int) (end - start));
      while (bytes.hasRemaining()) {
        if (channel.read(bytes, start + bytes.position()) < 0) {
          throw new InvalidExportException(where + ": the file ends in it");
        }
      }
      try {
        return Json.read(bytes.array());
      } catch (IllegalArgumentException e) {
        throw new InvalidExportException(where + ": " + Main.oneLine(e.getMessage()));
      }
    }

    /** A value of the header: a scalar as read, an object or a list as such (they are refused). */
    private static Object scalar(JsonParser p) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        p.skipChildren();
        return t == JsonToken.START_OBJECT ? "an object" : "a list";
      }
      return switch (t) {
        case VALUE_STRING -> p.getText();
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
        case VALUE_TRUE -> Boolean.TRUE;
        case VALUE_FALSE -> Boolean.FALSE;
        default -> null;
      };
    }

    /** Refuses anything after the document: {@code {...} garbage} is no document. */
    private static void requireEnd(JsonParser p) throws IOException, InvalidExportException {
      if (p.nextToken() != null) {
        throw new InvalidExportException(
            "not valid JSON: more after the end of the document, at line "
                + p.currentTokenLocation().getLineNr()
                + ", column "
                + p.currentTokenLocation().getColumnNr());
      }
    }

    /** The words of {@link Json#read} for a syntax error: its first line. */
    private static InvalidExportException notJson(StreamReadException e) {
      String msg = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
      int nl = msg.indexOf('\n');
      return new InvalidExportException(
          "not valid JSON: " + Main.oneLine(nl > 0 ? msg.substring(0, nl) : msg));
    }
  }

  /**
   * A set of uuids holding a canonical one (36 characters, lower-case hexadecimal) in 16 bytes of
   * an open-addressing table, where a {@code HashSet<String>} takes about 100: the uuids of a file
   * of a million atoms fit in a few dozen megabytes. Any other text is kept as it is.
   */
  static final class UuidSet {
    private long[] table = new long[2 * 64]; // (high, low) pairs; (0, 0) is a free slot
    private int used;
    private boolean nil; // the all-zero uuid, which a free slot cannot tell apart
    private final Set<String> others = new HashSet<>();

    /** Adds {@code uuid}; false when it was there already. */
    boolean add(String uuid) {
      if (!canonical(uuid)) {
        return others.add(uuid);
      }
      long hi = high(uuid);
      long lo = low(uuid);
      if (hi == 0 && lo == 0) {
        boolean added = !nil;
        nil = true;
        return added;
      }
      if ((used + 1) * 10L > (table.length / 2) * 6L) {
        grow();
      }
      if (!insert(table, hi, lo)) {
        return false;
      }
      used++;
      return true;
    }

    /** Whether {@code uuid} was added. */
    boolean contains(String uuid) {
      if (!canonical(uuid)) {
        return others.contains(uuid);
      }
      long hi = high(uuid);
      long lo = low(uuid);
      if (hi == 0 && lo == 0) {
        return nil;
      }
      int mask = table.length / 2 - 1;
      for (int i = slot(hi, lo, mask); ; i = (i + 1) & mask) {
        long h = table[2 * i];
        long l = table[2 * i + 1];
        if (h == 0 && l == 0) {
          return false;
        }
        if (h == hi && l == lo) {
          return true;
        }
      }
    }

    private void grow() {
      long[] bigger = new long[table.length * 2];
      for (int i = 0; i < table.length; i += 2) {
        if (table[i] != 0 || table[i + 1] != 0) {
          insert(bigger, table[i], table[i + 1]);
        }
      }
      table = bigger;
    }

    private static boolean insert(long[] table, long hi, long lo) {
      int mask = table.length / 2 - 1;
      for (int i = slot(hi, lo, mask); ; i = (i + 1) & mask) {
        long h = table[2 * i];
        long l = table[2 * i + 1];
        if (h == 0 && l == 0) {
          table[2 * i] = hi;
          table[2 * i + 1] = lo;
          return true;
        }
        if (h == hi && l == lo) {
          return false;
        }
      }
    }

    private static int slot(long hi, long lo, int mask) {
      long h = hi * 0x9E3779B97F4A7C15L ^ lo;
      h ^= h >>> 31;
      h *= 0xBF58476D1CE4E5B9L;
      h ^= h >>> 29;
      return (int) h & mask;
    }

    /** 8-4-4-4-12 lower-case hexadecimal digits, so that one uuid has one text. */
    private static boolean canonical(String s) {
      if (s == null || s.length() != 36) {
        return false;
      }
      for (int i = 0; i < 36; i++) {
        char c = s.charAt(i);
        boolean ok =
            i == 8 || i == 13 || i == 18 || i == 23
                ? c == '-'
                : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (!ok) {
          return false;
        }
      }
      return true;
    }

    private static long high(String uuid) {
      return hex(uuid, 0, 8) << 32 | hex(uuid, 9, 13) << 16 | hex(uuid, 14, 18);
    }

    private static long low(String uuid) {
      return hex(uuid, 19, 23) << 48 | hex(uuid, 24, 36);
    }

    /** The value of the hexadecimal digits {@code from..to} of a canonical uuid. */
    private static long hex(String s, int from, int to) {
      long v = 0;
      for (int i = from; i < to; i++) {
        v = v << 4 | Character.digit(s.charAt(i), 16);
      }
      return v;
    }
  }

  /**
   * {@code book} whose flows without record times (all of a version-1 file's) take the book's: its
   * last update, else its creation. So a flow is never younger than the book it came in.
   */
  static LogBook withBookTimes(LogBook book) {
    Instant created = book.createdAt();
    Instant updated = book.updatedAt() != null ? book.updatedAt() : created;
    List<FlowDetail> flows = new ArrayList<>(book.size());
    boolean changed = false;
    for (FlowDetail fd : book.flows()) {
      if (fd.createdAt() == null && created != null) {
        flows.add(fd.withTimes(created, updated));
        changed = true;
      } else {
        flows.add(fd);
      }
    }
    return changed ? book.withFlows(flows) : book;
  }

  private static Instant time(Map<?, ?> m, String key, String where) throws InvalidExportException {
    Object v = m.get(key);
    if (v == null) {
      return null;
    }
    try {
      return TaskFlowFormat.unmarshalTime(v);
    } catch (RuntimeException e) {
      throw new InvalidExportException(where + ": \"" + key + "\" is not a time: " + v);
    }
  }

  private static void requireString(Map<?, ?> m, String key, String where)
      throws InvalidExportException {
    if (!(m.get(key) instanceof String)) {
      throw new InvalidExportException(where + ": \"" + key + "\" must be a string");
    }
  }

  private static void unique(UuidSet seen, String uuid, String where)
      throws InvalidExportException {
    if (seen != null && !seen.add(uuid)) {
      throw new InvalidExportException(where + ": uuid " + uuid + " appears more than once");
    }
  }

  private static Map<?, ?> object(Object v, String where) throws InvalidExportException {
    if (v instanceof Map<?, ?> m) {
      return m;
    }
    throw new InvalidExportException(where + " must be an object");
  }

  private static List<?> list(Object v, String where) throws InvalidExportException {
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l;
    }
    throw new InvalidExportException(where + " must be a list");
  }

  // ---- comparing ----

  /**
   * The differences between two books' export forms, as {@code path: left != right} lines (at most
   * {@code max}); empty when they hold the same.
   */
  static List<String> diff(Map<String, Object> left, Map<String, Object> right, int max) {
    List<String> out = new ArrayList<>();
    diff("", Json.normalize(left), Json.normalize(right), out, max);
    return out;
  }

  private static void diff(String path, Object a, Object b, List<String> out, int max) {
    if (out.size() >= max || Objects.equals(a, b)) {
      return;
    }
    if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      Set<Object> keys = new java.util.LinkedHashSet<>(ma.keySet());
      keys.addAll(mb.keySet());
      for (Object k : keys) {
        diff(path + "." + k, ma.get(k), mb.get(k), out, max);
      }
      return;
    }
    if (a instanceof List<?> la && b instanceof List<?> lb && la.size() == lb.size()) {
      for (int i = 0; i < la.size(); i++) {
        Object ea = la.get(i);
        String label =
            ea instanceof Map<?, ?> em && em.get("name") != null
                ? "[" + em.get("name") + "]"
                : "[" + i + "]";
        diff(path + label, ea, lb.get(i), out, max);
      }
      return;
    }
    out.add(
        (path.isEmpty() ? "." : path)
            + ": "
            + Progress.abbreviate(Progress.json(a), 60)
            + " != "
            + Progress.abbreviate(Progress.json(b), 60));
  }
}
