package io.taskflow4j.worker;

import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON messages between engines and workers (see the module README). Field names follow
 * TaskFlow's worker-based engine where they make sense ({@code task_cls}, {@code task_name}, {@code
 * action}, {@code arguments}, {@code result}, {@code failures}, {@code state}, {@code data}), plus
 * {@code attempt_id}: a fresh id per dispatch, the only key replies are matched on.
 */
public final class Protocol {
  /** The protocol version carried in every message. */
  public static final int VERSION = 1;

  /** Message {@code type}: a request to run a task (engine → worker). */
  public static final String REQUEST = "request";

  /** Message {@code type}: a reply to a request (worker → engine). */
  public static final String RESPONSE = "response";

  /** Message {@code type}: a worker's heartbeat (worker → every engine). */
  public static final String NOTIFY = "notify";

  /** Response state: the worker started the task. */
  public static final String RUNNING = "RUNNING";

  /** Response state: a progress event. */
  public static final String EVENT = "EVENT";

  /** Response state: the task returned; {@code data.result} is its result. */
  public static final String SUCCESS = "SUCCESS";

  /** Response state: the task failed; {@code data.result} is a TaskFlow failure dict. */
  public static final String FAILURE = "FAILURE";

  /** Request action: run {@code execute}. */
  public static final String EXECUTE = "execute";

  /** Request action: run {@code revert}. */
  public static final String REVERT = "revert";

  private Protocol() {}

  /** A message that is not valid in this protocol. */
  public static final class ProtocolException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ProtocolException(String message) {
      super(message);
    }
  }

  /** Parses a message body: a JSON object with a known {@code type}. */
  static Map<String, Object> parse(byte[] body) {
    Object v;
    try {
      v = Json.read(body);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException("a message is not JSON: " + e.getMessage());
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new ProtocolException("a message must be a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) m;
    Object type = map.get("type");
    if (!REQUEST.equals(type) && !RESPONSE.equals(type) && !NOTIFY.equals(type)) {
      throw new ProtocolException("unknown message type " + type);
    }
    return map;
  }

  static String string(Map<String, Object> m, String field) {
    Object v = m.get(field);
    if (!(v instanceof String s) || s.isEmpty()) {
      throw new ProtocolException(
          "a " + m.get("type") + " message needs a non-empty string '" + field + "'");
    }
    return s;
  }

  static int integer(Map<String, Object> m, String field, int dflt) {
    Object v = m.get(field);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n)) {
      throw new ProtocolException(
          "'" + field + "' of a " + m.get("type") + " message must be a number");
    }
    return n.intValue();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Map<String, Object> m, String field) {
    Object v = m.get(field);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?>)) {
      throw new ProtocolException(
          "'" + field + "' of a " + m.get("type") + " message must be a JSON object");
    }
    return (Map<String, Object>) v;
  }

  static Map<String, Object> message(String type) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("version", VERSION);
    return m;
  }

  /**
   * The wire form of a revert's result: {@code ["success", value]} or {@code ["failure", dict]}.
   */
  static List<Object> resultToWire(Object result) {
    List<Object> l = new ArrayList<>(2);
    if (result instanceof Failure f) {
      l.add("failure");
      l.add(f.toMap());
    } else {
      l.add("success");
      l.add(Json.normalize(result));
    }
    return l;
  }

  static Object resultFromWire(Object wire) {
    if (wire == null) {
      return null;
    }
    if (!(wire instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof String kind)) {
      throw new ProtocolException("'result' of a revert request must be [kind, value]");
    }
    return switch (kind) {
      case "success" -> l.get(1);
      case "failure" -> failureFromWire(l.get(1));
      default -> throw new ProtocolException("unknown result kind '" + kind + "'");
    };
  }

  static Failure failureFromWire(Object dict) {
    if (!(dict instanceof Map<?, ?> m)) {
      throw new ProtocolException("a failure must be a TaskFlow failure dict (a JSON object)");
    }
    return Failure.fromMap(m);
  }

  static Map<String, Object> failuresToWire(Map<String, Failure> failures) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (failures != null) {
      failures.forEach((k, f) -> out.put(k, f.toMap()));
    }
    return out;
  }

  static Map<String, Failure> failuresFromWire(Map<String, Object> wire) {
    Map<String, Failure> out = new LinkedHashMap<>();
    wire.forEach((k, v) -> out.put(k, failureFromWire(v)));
    return out;
  }
}
