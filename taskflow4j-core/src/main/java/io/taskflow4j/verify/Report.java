package io.taskflow4j.verify;

import java.util.List;

/**
 * What {@link StoreVerifier} found: how much it read and every problem.
 *
 * @param books logbooks read
 * @param flows flow details read
 * @param atoms atom details read
 * @param problems the problems found, in the order found (empty when the store is consistent)
 */
public record Report(int books, int flows, int atoms, List<Problem> problems) {

  /** Copies the problem list. */
  public Report {
    problems = List.copyOf(problems);
  }

  /** Whether no problem was found. */
  public boolean ok() {
    return problems.isEmpty();
  }

  /** One line: what was read and how many problems of which kind. */
  public String summary() {
    StringBuilder sb =
        new StringBuilder()
            .append(books)
            .append(" logbooks, ")
            .append(flows)
            .append(" flow details, ")
            .append(atoms)
            .append(" atom details: ");
    if (problems.isEmpty()) {
      return sb.append("consistent").toString();
    }
    sb.append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    java.util.Map<Problem.Kind, Integer> byKind = new java.util.EnumMap<>(Problem.Kind.class);
    for (Problem p : problems) {
      byKind.merge(p.kind(), 1, Integer::sum);
    }
    sb.append(" (");
    String sep = "";
    for (var e : byKind.entrySet()) {
      sb.append(sep).append(e.getValue()).append(' ').append(e.getKey());
      sep = ", ";
    }
    return sb.append(')').toString();
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
