package io.taskflow4j.verify;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link StoreVerifier} found: how much it read and every problem.
 *
 * @param books logbooks read
 * @param flows flow details read
 * @param atoms atom details read
 * @param problems the problems found, in the order found: errors and notes (see {@link
 *     Problem.Severity}); empty when there is nothing to report
 */
public record Report(int books, int flows, int atoms, List<Problem> problems) {

  /** Copies the problem list. */
  public Report {
    problems = List.copyOf(problems);
  }

  /** The problems that make the store inconsistent ({@link Problem.Severity#ERROR}). */
  public List<Problem> errors() {
    return problems.stream().filter(p -> p.severity() == Problem.Severity.ERROR).toList();
  }

  /** The notes: leftovers the store tidies by itself ({@link Problem.Severity#NOTE}). */
  public List<Problem> notes() {
    return problems.stream().filter(p -> p.severity() == Problem.Severity.NOTE).toList();
  }

  /**
   * Whether the store is consistent: no {@link Problem.Severity#ERROR error} was found (notes, the
   * leftovers the store tidies by itself, may be).
   */
  public boolean ok() {
    return errors().isEmpty();
  }

  /**
   * One line: what was read, then "consistent" or how many problems of which kind, then how many
   * notes of which kind, e.g. {@code 2 logbooks, 5 flow details, 40 atom details: consistent; 1
   * note (1 LEFTOVER)}.
   */
  public String summary() {
    StringBuilder sb =
        new StringBuilder()
            .append(books)
            .append(" logbooks, ")
            .append(flows)
            .append(" flow details, ")
            .append(atoms)
            .append(" atom details: ");
    List<Problem> errors = errors();
    if (errors.isEmpty()) {
      sb.append("consistent");
    } else {
      sb.append(errors.size()).append(errors.size() == 1 ? " problem" : " problems");
      byKind(sb, errors);
    }
    List<Problem> notes = notes();
    if (!notes.isEmpty()) {
      sb.append("; ").append(notes.size()).append(notes.size() == 1 ? " note" : " notes");
      byKind(sb, notes);
    }
    return sb.toString();
  }

  private static void byKind(StringBuilder sb, List<Problem> problems) {
    Map<Problem.Kind, Integer> byKind = new EnumMap<>(Problem.Kind.class);
    for (Problem p : problems) {
      byKind.merge(p.kind(), 1, Integer::sum);
    }
    sb.append(" (");
    String sep = "";
    for (var e : byKind.entrySet()) {
      sb.append(sep).append(e.getValue()).append(' ').append(e.getKey());
      sep = ", ";
    }
    sb.append(')');
  }

  /** The summary followed by one line per problem. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(summary());
    for (Problem p : problems) {
      sb.append('\n').append("  ").append(p);
    }
    return sb.toString();
  }
}
