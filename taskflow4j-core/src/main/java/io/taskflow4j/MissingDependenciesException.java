package io.taskflow4j;

import io.taskflow4j.persistence.TaskFlowException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Arguments that atoms require but that nothing provides: no earlier atom in scope, no injected
 * value and no store entry. Raised by the engine's validation, before anything runs.
 */
public class MissingDependenciesException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  private final transient Map<String, List<String>> missingByAtom;

  /**
   * @param missingByAtom for each atom (in flow order), the names it requires that nothing provides
   */
  public MissingDependenciesException(Map<String, List<String>> missingByAtom) {
    super(message(missingByAtom));
    this.missingByAtom = Collections.unmodifiableMap(new LinkedHashMap<>(missingByAtom));
  }

  private static String message(Map<String, List<String>> missing) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<String>> e : missing.entrySet()) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append("'")
          .append(e.getKey())
          .append("' requires ")
          .append(e.getValue())
          .append(" but no other entity produces said requirements");
    }
    return sb.append(
            " (provide them from an earlier atom, with the engine's store(...) or with the atom's"
                + " inject(...))")
        .toString();
  }

  /** For each atom, the required names nothing provides. */
  public Map<String, List<String>> missing() {
    return missingByAtom;
  }
}
