package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.assertNotFound;
import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Values are stored as JSON, and read back the same on every backend: what a durable backend
 * returns after a reload ({@code Json.read(Json.write(value))}) is also what the model holds and
 * what every other backend returns.
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code JsonValues} group.
 */
public abstract class JsonValueCases extends ContractCases {

  /**
   * Stores {@code value} as a task result, a revert result, a meta value and a retry attempt value;
   * asserts each reads back (through another connection) as {@code expected}, which is also the
   * value's JSON form and the model's normalised form.
   */
  private void assertStoredAs(Object value, Object expected) {
    assertThat(Json.read(Json.write(value))).as("JSON form of %s", value).isEqualTo(expected);
    TaskDetail td =
        task("json")
            .put(AtomState.SUCCESS, value)
            .withRevertResults(value)
            .withMeta(Collections.singletonMap("value", value));
    RetryDetail rd = RetryDetail.create("json-retry").put(AtomState.SUCCESS, value);
    FlowDetail fd = flow("f", td, rd).withMeta(Collections.singletonMap("value", value));
    assertThat(td.results()).as("model's normalised form of %s", value).isEqualTo(expected);
    saveOneFlowIn(fd);

    TaskDetail backTd = (TaskDetail) withOtherConnection(c -> c.getAtomDetails(td.uuid()));
    RetryDetail backRd = (RetryDetail) withOtherConnection(c -> c.getAtomDetails(rd.uuid()));
    FlowDetail backFd = withOtherConnection(c -> c.getFlowDetails(fd.uuid(), true));
    assertThat(backTd.results()).as("results").isEqualTo(expected);
    assertThat(backTd.revertResults()).as("revert results").isEqualTo(expected);
    assertThat(backTd.meta().get("value")).as("atom meta").isEqualTo(expected);
    assertThat(backRd.lastResults()).as("retry attempt value").isEqualTo(expected);
    assertThat(backFd.meta().get("value")).as("flow meta").isEqualTo(expected);
  }

  private void saveOneFlowIn(FlowDetail fd) {
    conn().saveLogBook(book("json", fd));
  }

  @Test
  void listsSetsAndArraysReadBackAsLists() {
    assertStoredAs(List.of(1, 2), List.of(1, 2));
    assertStoredAs(new LinkedHashSet<>(List.of(3, 1, 2)), List.of(3, 1, 2));
    assertStoredAs(new int[] {1, 2}, List.of(1, 2));
    assertStoredAs(new String[] {"a", "b"}, List.of("a", "b"));
    assertStoredAs(List.of(List.of(1), List.of()), List.of(List.of(1), List.of()));
    assertStoredAs(List.of(), List.of());
  }

  @Test
  void integerMapKeysBecomeStrings() {
    Map<Object, Object> m = new LinkedHashMap<>();
    m.put(2, "b");
    m.put(1, "a");
    m.put(3L, List.of(Map.of(4, "d")));
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("2", "b");
    expected.put("1", "a");
    expected.put("3", List.of(Map.of("4", "d")));
    assertStoredAs(m, expected);
  }

  @Test
  void nestedMapsKeepStructureOrderAndNulls() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("z", null);
    inner.put("a", List.of(1, Map.of("deep", true)));
    Map<String, Object> outer = new LinkedHashMap<>();
    outer.put("zeta", inner);
    outer.put("alpha", Map.of());
    outer.put("mid", "x");
    assertStoredAs(outer, outer);
    assertStoredAs(
        Map.of("record", new Fixtures.Point(3, "p")),
        Map.of("record", Map.of("x", 3, "label", "p")));
  }

  @Test
  void unicodeStringsRoundTrip() {
    String s = "héllo wörld ✓ 日本語 🚀 𝄞 \t\n\r\"\\/ \u00a0\u2028";
    assertStoredAs(s, s);
    assertStoredAs(Map.of("ключ 🚀", s), Map.of("ключ 🚀", s));
    assertStoredAs("", "");
  }

  @Test
  void integersOfEverySizeReadBackInTheirSmallestForm() {
    assertStoredAs(5, 5);
    assertStoredAs(5L, 5);
    assertStoredAs((short) 3, 3);
    assertStoredAs((byte) -4, -4);
    assertStoredAs(BigInteger.valueOf(7), 7);
    assertStoredAs(Integer.MIN_VALUE, Integer.MIN_VALUE);
    assertStoredAs(2_147_483_648L, 2_147_483_648L);
    assertStoredAs(Long.MAX_VALUE, Long.MAX_VALUE);
    assertStoredAs(Long.MIN_VALUE, Long.MIN_VALUE);
    assertStoredAs(BigInteger.valueOf(Long.MAX_VALUE), Long.MAX_VALUE);
    BigInteger huge = BigInteger.TWO.pow(100).negate();
    assertStoredAs(huge, huge);
    assertStoredAs(List.of(1L, 2_147_483_648L, huge), List.of(1, 2_147_483_648L, huge));
  }

  @Test
  void doublesRoundTripExactly() {
    assertStoredAs(1.5, 1.5);
    assertStoredAs(2.0, 2.0);
    assertStoredAs(-0.25, -0.25);
    assertStoredAs(0.1 + 0.2, 0.1 + 0.2);
    assertStoredAs(1e300, 1e300);
    assertStoredAs(Double.MIN_VALUE, Double.MIN_VALUE);
    assertStoredAs(1.5f, 1.5);
    assertStoredAs(new BigDecimal("2.75"), 2.75);
    assertStoredAs(Map.of("progress", 1.0), Map.of("progress", 1.0));
  }

  @Test
  void booleansAndNullRoundTrip() {
    assertStoredAs(true, true);
    assertStoredAs(false, false);
    assertStoredAs(null, null);
    List<Object> mixed = Arrays.asList(true, null, false, 0, "", 0.0);
    assertStoredAs(mixed, mixed);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("t", true);
    m.put("n", null);
    assertStoredAs(m, m);
  }

  @Test
  void timesEnumsAndBytesReadBackAsStrings() {
    assertStoredAs(LocalDateTime.of(2020, 1, 2, 3, 4, 5), "2020-01-02T03:04:05");
    assertStoredAs(Instant.parse("2020-01-02T03:04:05Z"), "2020-01-02T03:04:05Z");
    assertStoredAs(AtomState.SUCCESS, "SUCCESS");
    assertStoredAs(new byte[] {'a', 'b'}, "YWI=");
  }

  @Test
  void aValueThatIsNotJsonFailsTypedAndNothingIsStored() {
    LogBook saved = saveOneFlow(task("kept").put(AtomState.SUCCESS, "original"));
    AtomDetail kept = saved.flows().get(0).atoms().get(0);
    Map<String, Object> cyclic = new HashMap<>();
    cyclic.put("self", cyclic);
    List<Supplier<Object>> badValues =
        List.of(
            Fixtures.Loop::new,
            () -> cyclic,
            () -> Double.NaN,
            () -> Double.POSITIVE_INFINITY,
            () -> List.of(1, Float.NEGATIVE_INFINITY),
            () -> Collections.singletonMap(null, 1));

    for (Supplier<Object> bad : badValues) {
      // A new book carrying the bad value: nothing of it may be stored.
      TaskDetail good = task("good");
      FlowDetail fd = flow("f", good);
      LogBook lb = book("bad", fd);
      Throwable onSave =
          catchThrowable(
              () ->
                  conn()
                      .saveLogBook(
                          lb.withFlow(fd.withAtom(task("bad").put(AtomState.SUCCESS, bad.get())))));
      assertThat(onSave)
          .as("saving %s", bad.get().getClass())
          .isInstanceOfAny(IllegalArgumentException.class, StorageException.class);
      assertNotFound(() -> conn().getLogBook(lb.uuid()), lb.uuid());
      assertNotFound(() -> conn().getFlowDetails(fd.uuid()), fd.uuid());
      assertNotFound(() -> conn().getAtomDetails(good.uuid()), good.uuid());

      // An update of a stored atom with the bad value: the stored atom is unchanged.
      Throwable onUpdate =
          catchThrowable(() -> conn().updateAtomDetails(kept.put(AtomState.SUCCESS, bad.get())));
      assertThat(onUpdate).isInstanceOfAny(IllegalArgumentException.class, StorageException.class);
      assertThat(conn().getAtomDetails(kept.uuid())).isEqualTo(kept);
    }
    assertThat(uuids(conn().getLogBooks())).containsExactly(saved.uuid());
  }
}
