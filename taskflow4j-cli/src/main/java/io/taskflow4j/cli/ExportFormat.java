package io.taskflow4j.cli;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

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
   * Reads a whole document, checking everything before anything is written.
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
    if (!FORMAT.equals(m.get("format"))) {
      throw new InvalidExportException(
          "not a taskflow4j export: its \"format\" is "
              + (m.get("format") == null ? "missing" : "'" + m.get("format") + "'")
              + ", expected '"
              + FORMAT
              + "'");
    }
    Object version = m.get("version");
    if (!(version instanceof Integer v) || v < OLDEST_VERSION || v > VERSION) {
      throw new InvalidExportException(
          "export format version "
              + version
              + " is not supported; this taskflow4j reads versions "
              + OLDEST_VERSION
              + " to "
              + VERSION);
    }
    boolean flowTimes = (Integer) version >= 2;
    if (!(m.get("logbooks") instanceof List<?> books)) {
      throw new InvalidExportException("\"logbooks\" must be a list");
    }
    List<LogBook> out = new ArrayList<>(books.size());
    Set<String> bookIds = new HashSet<>();
    Set<String> flowIds = new HashSet<>();
    Set<String> atomIds = new HashSet<>();
    for (int i = 0; i < books.size(); i++) {
      String where = "logbook #" + (i + 1);
      try {
        Map<?, ?> bm = object(books.get(i), where);
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
          out.add(book);
        } catch (IllegalArgumentException e) {
          throw new InvalidExportException(where + ": " + Main.oneLine(e.getMessage()));
        }
      } catch (ClassCastException e) {
        throw new InvalidExportException(where + ": malformed (" + e.getMessage() + ")");
      }
    }
    return out;
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

  private static void unique(Set<String> seen, String uuid, String where)
      throws InvalidExportException {
    if (!seen.add(uuid)) {
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
