package io.taskflow4j.persistence;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which flow details {@link Connection#findFlows} and {@link Connection#countFlows} report: by
 * state, by the time of the last update or of creation, by the start of the flow's or the book's
 * name, a page at a time. Immutable: every method returns a new query.
 *
 * <p>Flows are listed newest first: by {@link FlowSummary#updatedAt()} descending, then by flow
 * uuid descending (so flows updated in the same microsecond have a fixed order). A page ends with a
 * cursor ({@link FlowPage#next()}); the same query with {@link #after(String)} that cursor lists
 * the flows that come after it. Paging by cursor never repeats a flow nor skips one that was not
 * updated meanwhile; a flow updated meanwhile moves to the front, where a listing already past it
 * does not see it again.
 *
 * <pre>{@code
 * FlowQuery q = FlowQuery.all().states(FlowState.FAILURE).updatedSince(Instant.now().minus(Duration.ofDays(1)));
 * for (FlowPage page = c.findFlows(q); ; page = c.findFlows(q.after(page.nextCursor()))) {
 *   page.flows().forEach(f -> System.out.println(f.flowName() + " " + f.state()));
 *   if (page.next().isEmpty()) break;
 * }
 * }</pre>
 */
public final class FlowQuery {
  /** The default number of flows in a page. */
  public static final int DEFAULT_LIMIT = 100;

  /** The largest number of flows a page may hold. */
  public static final int MAX_LIMIT = 10_000;

  /** The order of a listing: the most recently updated first, then by flow uuid, descending. */
  public static final Comparator<FlowSummary> NEWEST_FIRST =
      Comparator.comparing(FlowSummary::updatedAt).thenComparing(FlowSummary::flowUuid).reversed();

  private static final FlowQuery ALL = new FlowQuery(new Draft());

  private final Set<FlowState> states;
  private final Instant updatedSince;
  private final Instant updatedBefore;
  private final Instant createdSince;
  private final Instant createdBefore;
  private final String flowNamePrefix;
  private final String bookNamePrefix;
  private final int limit;
  private final Instant afterTime;
  private final String afterUuid;

  /** The parts of a query while a copy is made with one of them changed. */
  private static final class Draft {
    Set<FlowState> states = Set.of();
    Instant updatedSince;
    Instant updatedBefore;
    Instant createdSince;
    Instant createdBefore;
    String flowNamePrefix;
    String bookNamePrefix;
    int limit = DEFAULT_LIMIT;
    Instant afterTime;
    String afterUuid;
  }

  private FlowQuery(Draft d) {
    this.states = d.states;
    this.updatedSince = d.updatedSince;
    this.updatedBefore = d.updatedBefore;
    this.createdSince = d.createdSince;
    this.createdBefore = d.createdBefore;
    this.flowNamePrefix = d.flowNamePrefix;
    this.bookNamePrefix = d.bookNamePrefix;
    this.limit = d.limit;
    this.afterTime = d.afterTime;
    this.afterUuid = d.afterUuid;
  }

  /** A copy of this query with {@code change} applied to its parts. */
  private FlowQuery with(java.util.function.Consumer<Draft> change) {
    Draft d = new Draft();
    d.states = states;
    d.updatedSince = updatedSince;
    d.updatedBefore = updatedBefore;
    d.createdSince = createdSince;
    d.createdBefore = createdBefore;
    d.flowNamePrefix = flowNamePrefix;
    d.bookNamePrefix = bookNamePrefix;
    d.limit = limit;
    d.afterTime = afterTime;
    d.afterUuid = afterUuid;
    change.accept(d);
    return new FlowQuery(d);
  }

  /** Every flow, newest first, {@value #DEFAULT_LIMIT} to a page. */
  public static FlowQuery all() {
    return ALL;
  }

  /** The flows that have not finished: not SUCCESS, REVERTED nor FAILURE. */
  public static FlowQuery unfinished() {
    EnumSet<FlowState> s = EnumSet.noneOf(FlowState.class);
    for (FlowState st : FlowState.values()) {
      if (!st.isFinished()) {
        s.add(st);
      }
    }
    return ALL.states(s);
  }

  /** Only flows in one of these states (none given: any state). */
  public FlowQuery states(FlowState... s) {
    return states(java.util.Arrays.asList(s));
  }

  /** Only flows in one of these states (empty: any state). */
  public FlowQuery states(Collection<FlowState> s) {
    Objects.requireNonNull(s, "states");
    Set<FlowState> set = s.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(s));
    return with(d -> d.states = set);
  }

  /** Only flows last updated at or after {@code t} ({@code null}: no bound). */
  public FlowQuery updatedSince(Instant t) {
    return with(d -> d.updatedSince = micros(t));
  }

  /** Only flows last updated before {@code t} ({@code null}: no bound). */
  public FlowQuery updatedBefore(Instant t) {
    return with(d -> d.updatedBefore = micros(t));
  }

  /** Only flows created at or after {@code t} ({@code null}: no bound). */
  public FlowQuery createdSince(Instant t) {
    return with(d -> d.createdSince = micros(t));
  }

  /** Only flows created before {@code t} ({@code null}: no bound). */
  public FlowQuery createdBefore(Instant t) {
    return with(d -> d.createdBefore = micros(t));
  }

  /** Only flows whose name starts with {@code prefix} (case-sensitive; {@code null}: any). */
  public FlowQuery flowNamePrefix(String prefix) {
    return with(d -> d.flowNamePrefix = emptyToNull(prefix));
  }

  /** Only flows of logbooks whose name starts with {@code prefix} (case-sensitive). */
  public FlowQuery bookNamePrefix(String prefix) {
    return with(d -> d.bookNamePrefix = emptyToNull(prefix));
  }

  /**
   * At most {@code n} flows to a page.
   *
   * @throws IllegalArgumentException unless {@code 1 <= n <=} {@value #MAX_LIMIT}
   */
  public FlowQuery limit(int n) {
    if (n < 1 || n > MAX_LIMIT) {
      throw new IllegalArgumentException(
          "a page holds 1 to " + MAX_LIMIT + " flows; " + n + " was asked for");
    }
    return with(d -> d.limit = n);
  }

  /**
   * The page after the one that ended with {@code cursor} ({@link FlowPage#nextCursor()} or {@link
   * FlowSummary#cursor()}); {@code null} starts from the newest flow.
   *
   * @throws IllegalArgumentException when {@code cursor} is not a cursor of a flow listing
   */
  public FlowQuery after(String cursor) {
    Instant t = null;
    String uuid = null;
    if (cursor != null) {
      String text;
      try {
        text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw badCursor(cursor);
      }
      int colon = text.indexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw badCursor(cursor);
      }
      try {
        long micros = Long.parseLong(text.substring(0, colon));
        t = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
      } catch (NumberFormatException | ArithmeticException | java.time.DateTimeException e) {
        throw badCursor(cursor);
      }
      uuid = text.substring(colon + 1);
    }
    Instant time = t;
    String after = uuid;
    return with(
        d -> {
          d.afterTime = time;
          d.afterUuid = after;
        });
  }

  private static IllegalArgumentException badCursor(String cursor) {
    String shown = cursor.length() > 40 ? cursor.substring(0, 40) + "..." : cursor;
    return new IllegalArgumentException(
        "'"
            + shown.replaceAll("\\p{Cntrl}", "?")
            + "' is not a cursor of a flow listing: pass the cursor a listing printed as is");
  }

  static String cursorOf(Instant updatedAt, String flowUuid) {
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, updatedAt);
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((micros + ":" + flowUuid).getBytes(StandardCharsets.UTF_8));
  }

  /** The states asked for; empty: any state. */
  public Set<FlowState> states() {
    return states;
  }

  /** The inclusive lower bound of the last-update time. */
  public Optional<Instant> updatedSince() {
    return Optional.ofNullable(updatedSince);
  }

  /** The exclusive upper bound of the last-update time. */
  public Optional<Instant> updatedBefore() {
    return Optional.ofNullable(updatedBefore);
  }

  /** The inclusive lower bound of the creation time. */
  public Optional<Instant> createdSince() {
    return Optional.ofNullable(createdSince);
  }

  /** The exclusive upper bound of the creation time. */
  public Optional<Instant> createdBefore() {
    return Optional.ofNullable(createdBefore);
  }

  /** The start the flow's name must have. */
  public Optional<String> flowNamePrefix() {
    return Optional.ofNullable(flowNamePrefix);
  }

  /** The start the logbook's name must have. */
  public Optional<String> bookNamePrefix() {
    return Optional.ofNullable(bookNamePrefix);
  }

  /** The most flows a page holds. */
  public int limit() {
    return limit;
  }

  /** The last-update time of the flow the listing continues after. */
  public Optional<Instant> afterUpdatedAt() {
    return Optional.ofNullable(afterTime);
  }

  /** The uuid of the flow the listing continues after (with {@link #afterUpdatedAt()}). */
  public Optional<String> afterFlowUuid() {
    return Optional.ofNullable(afterUuid);
  }

  /** Whether {@code f} passes this query's filters (state, times, names; not the cursor). */
  public boolean matches(FlowSummary f) {
    if (!states.isEmpty() && !states.contains(f.state())) {
      return false;
    }
    Instant u = f.updatedAt();
    if (updatedSince != null && u.isBefore(updatedSince)) {
      return false;
    }
    if (updatedBefore != null && !u.isBefore(updatedBefore)) {
      return false;
    }
    Instant c = f.createdAt();
    if (createdSince != null && c.isBefore(createdSince)) {
      return false;
    }
    if (createdBefore != null && !c.isBefore(createdBefore)) {
      return false;
    }
    if (flowNamePrefix != null && !f.flowName().startsWith(flowNamePrefix)) {
      return false;
    }
    return bookNamePrefix == null
        || (f.bookName() != null && f.bookName().startsWith(bookNamePrefix));
  }

  /**
   * Whether {@code f} comes after this query's cursor in the listing's order (true without one).
   */
  public boolean isAfterCursor(FlowSummary f) {
    if (afterTime == null) {
      return true;
    }
    int byTime = f.updatedAt().compareTo(afterTime);
    return byTime < 0 || (byTime == 0 && f.flowUuid().compareTo(afterUuid) < 0);
  }

  /**
   * A copy without the limit's cursor: the filters alone (what {@link Connection#countFlows} uses).
   */
  public FlowQuery withoutCursor() {
    return afterTime == null ? this : after(null);
  }

  private static Instant micros(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FlowQuery q
        && states.equals(q.states)
        && Objects.equals(updatedSince, q.updatedSince)
        && Objects.equals(updatedBefore, q.updatedBefore)
        && Objects.equals(createdSince, q.createdSince)
        && Objects.equals(createdBefore, q.createdBefore)
        && Objects.equals(flowNamePrefix, q.flowNamePrefix)
        && Objects.equals(bookNamePrefix, q.bookNamePrefix)
        && limit == q.limit
        && Objects.equals(afterTime, q.afterTime)
        && Objects.equals(afterUuid, q.afterUuid);
  }

  @Override
  public int hashCode() {
    return Objects.hash(states, updatedSince, updatedBefore, flowNamePrefix, limit, afterUuid);
  }

  @Override
  public String toString() {
    return "FlowQuery{states="
        + states
        + ", updated=["
        + updatedSince
        + ", "
        + updatedBefore
        + "), created=["
        + createdSince
        + ", "
        + createdBefore
        + "), flowName^="
        + flowNamePrefix
        + ", bookName^="
        + bookNamePrefix
        + ", limit="
        + limit
        + (afterUuid == null ? "" : ", after=" + afterTime + "/" + afterUuid)
        + "}";
  }
}
