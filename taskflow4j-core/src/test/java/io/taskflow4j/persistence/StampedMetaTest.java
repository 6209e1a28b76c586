package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Metadata merged with {@link Stamp}s and doubles is held compactly, yet must read, compare,
 * serialise and reload exactly as the same metadata written with ISO-8601 strings.
 */
class StampedMetaTest {

  private static final Instant T1 = Instant.parse("2026-11-29T03:00:00.123456Z");
  private static final Instant T2 = Instant.parse("2026-11-29T03:00:01Z");

  /** What the engine writes when a task starts, then when it ends. */
  private static Map<String, Object> engineMeta() {
    Map<String, Object> start = new LinkedHashMap<>();
    start.put("progress", 0.0);
    start.put("started_at", Stamp.of(T1));
    start.put("attempt", 1);
    start.put("host", "h");
    Map<String, Object> end = new LinkedHashMap<>();
    end.put("progress", 1.0);
    end.put("ended_at", Stamp.of(T2));
    end.put("duration", 0.25);
    return Json.merge(Json.merge(Map.of(), start), end);
  }

  /** The same metadata with the stamps given as text. */
  private static Map<String, Object> expected() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("progress", 1.0);
    m.put("started_at", "2026-11-29T03:00:00.123456Z");
    m.put("attempt", 1);
    m.put("host", "h");
    m.put("ended_at", "2026-11-29T03:00:01Z");
    m.put("duration", 0.25);
    return m;
  }

  @Test
  void readsAndComparesAsTheTextItStandsFor() {
    Map<String, Object> meta = engineMeta();

    assertThat(meta).isEqualTo(expected()).hasSameHashCodeAs(expected());
    assertThat(expected()).isEqualTo(meta);
    assertThat(meta.get("started_at")).isEqualTo(T1.toString());
    assertThat(meta.get("ended_at")).isEqualTo(T2.toString());
    assertThat(meta.get("duration")).isEqualTo(0.25);
    assertThat(meta.get("absent")).isNull();
    assertThat(meta.containsKey("host")).isTrue();
    assertThat(new ArrayList<>(meta.keySet()))
        .containsExactly("progress", "started_at", "attempt", "host", "ended_at", "duration");
    assertThat(new ArrayList<>(meta.values()))
        .containsExactlyElementsOf(new ArrayList<>(expected().values()));
    assertThat(Json.normalize(meta)).isSameAs(meta); // already normalised
    assertThatThrownBy(() -> meta.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void serialisesAndReloadsAsTheText() {
    Map<String, Object> meta = engineMeta();

    String json = Json.write(meta);

    assertThat(json).isEqualTo(Json.write(expected()));
    assertThat(Json.read(json)).isEqualTo(meta);
  }

  @Test
  void aDetailWithItEqualsTheDetailReloadedFromJson() {
    TaskDetail d = TaskDetail.of("t", "u-1").withMetaEntries(Map.of("started_at", Stamp.of(T1)));
    TaskDetail withText = TaskDetail.of("t", "u-1").withMeta(Map.of("started_at", T1.toString()));

    assertThat(d).isEqualTo(withText);
    assertThat(d.meta().get("started_at")).isEqualTo(T1.toString());
  }

  @Test
  void laterMergesReplaceAndKeepValues() {
    Map<String, Object> meta = engineMeta();

    Map<String, Object> more =
        Json.merge(
            meta, Map.of("started_at", "rewritten", "extra", List.of(1, 2), "third", Stamp.of(T2)));

    Map<String, Object> want = new LinkedHashMap<>(expected());
    want.put("started_at", "rewritten");
    want.put("extra", List.of(1, 2));
    want.put("third", T2.toString());
    assertThat(more).isEqualTo(want);
    // the first map is unchanged
    assertThat(meta).isEqualTo(expected());
  }

  @Test
  void moreStampsAndDoublesThanItHoldsStayPlainValues() {
    Map<String, Object> entries = new LinkedHashMap<>();
    for (int i = 0; i < 4; i++) {
      entries.put("s" + i, Stamp.of(T1.plusSeconds(i)));
      entries.put("d" + i, i + 0.5);
    }

    Map<String, Object> meta = Json.merge(Map.of(), entries);

    for (int i = 0; i < 4; i++) {
      assertThat(meta.get("s" + i)).isEqualTo(T1.plusSeconds(i).toString());
      assertThat(meta.get("d" + i)).isEqualTo(i + 0.5);
    }
    assertThat(meta).hasSize(8);
  }

  @Test
  void aLargeMapFallsBackToTheGeneralForm() {
    Map<String, Object> base = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      base.put("k" + i, i);
    }
    Map<String, Object> merged =
        Json.merge(Json.normalizeMap(base), Map.of("started_at", Stamp.of(T1)));

    Map<String, Object> want = new LinkedHashMap<>(base);
    want.put("started_at", T1.toString());
    assertThat(merged).isEqualTo(want);
  }

  @Test
  void aStampAnywhereElseIsItsText() {
    assertThat(Json.normalize(Stamp.of(T1))).isEqualTo(T1.toString());
    assertThat(Json.normalize(Map.of("at", Stamp.of(T2)))).isEqualTo(Map.of("at", T2.toString()));
    assertThat(Stamp.of(T1).toString()).isEqualTo(T1.toString());
    assertThatThrownBy(() -> Stamp.of(null)).isInstanceOf(NullPointerException.class);
  }
}
