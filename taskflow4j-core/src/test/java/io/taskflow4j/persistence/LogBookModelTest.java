package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link FlowDetail} and {@link LogBook}: order, replacement, times and immutability. */
class LogBookModelTest {

  @Nested
  class FlowDetails {
    @Test
    void newFlowDetail() {
      FlowDetail fd = FlowDetail.of("flow", "fd-1");
      assertThat(fd.name()).isEqualTo("flow");
      assertThat(fd.uuid()).isEqualTo("fd-1");
      assertThat(fd.state()).isEqualTo(FlowState.PENDING);
      assertThat(fd.meta()).isEmpty();
      assertThat(fd.atoms()).isEmpty();
      assertThat(fd.size()).isZero();
      assertThat(fd.revision()).isZero();
      assertThat(FlowDetail.create("f").uuid()).isNotEqualTo(FlowDetail.create("f").uuid());
      assertThat(FlowDetail.of("u", "n", null, null, List.of(), 0).state())
          .isEqualTo(FlowState.PENDING);
    }

    @Test
    void atomsKeepInsertionOrder() {
      List<AtomDetail> atoms = new ArrayList<>();
      for (int i = 9; i >= 0; i--) {
        atoms.add(TaskDetail.of("t" + i, "u" + i));
      }
      FlowDetail fd = FlowDetail.of("f", "fd");
      for (AtomDetail ad : atoms) {
        fd = fd.withAtom(ad);
      }
      assertThat(fd.atoms()).containsExactlyElementsOf(atoms);
      assertThat(FlowDetail.of("fd", "f", FlowState.RUNNING, Map.of(), atoms, 0).atoms())
          .containsExactlyElementsOf(atoms);
      assertThat(fd.size()).isEqualTo(10);
    }

    @Test
    void withAtomReplacesInPlace() {
      TaskDetail a = TaskDetail.of("a", "ua");
      TaskDetail b = TaskDetail.of("b", "ub");
      RetryDetail c = RetryDetail.of("c", "uc");
      FlowDetail fd = FlowDetail.of("f", "fd").withAtom(a).withAtom(b).withAtom(c);
      TaskDetail b2 = b.put(AtomState.SUCCESS, 5);
      FlowDetail after = fd.withAtom(b2);
      assertThat(after.atoms()).containsExactly(a, b2, c);
      assertThat(after.find("ub")).contains(b2);
      assertThat(fd.find("ub")).contains(b); // the original is untouched
      assertThat(after.findByName("c")).contains(c);
      assertThat(after.findByName("zz")).isEmpty();
      assertThat(after.find("nope")).isEmpty();
    }

    @Test
    void repeatedUuidKeepsTheLastInTheFirstPosition() {
      TaskDetail a = TaskDetail.of("a", "ua");
      TaskDetail b = TaskDetail.of("b", "ub");
      TaskDetail a2 = a.withVersion("2");
      FlowDetail fd = FlowDetail.of("fd", "f", FlowState.PENDING, Map.of(), List.of(a, b, a2), 0);
      assertThat(fd.atoms()).containsExactly(a2, b);
    }

    @Test
    void withAtomsAddedAndWithout() {
      TaskDetail a = TaskDetail.of("a", "ua");
      TaskDetail b = TaskDetail.of("b", "ub");
      TaskDetail c = TaskDetail.of("c", "uc");
      FlowDetail fd = FlowDetail.of("f", "fd").withAtom(a).withAtom(b);
      TaskDetail a2 = a.withState(AtomState.RUNNING);
      FlowDetail added = fd.withAtomsAdded(List.of(c, a2));
      assertThat(added.atoms()).containsExactly(a2, b, c);
      assertThat(added.withoutAtoms().atoms()).isEmpty();
      assertThat(added.withoutAtoms().uuid()).isEqualTo("fd");
      assertThat(added.withAtoms(List.of(c)).atoms()).containsExactly(c);
      FlowDetail empty = FlowDetail.of("f", "fd");
      assertThat(empty.withoutAtoms()).isSameAs(empty);
    }

    @Test
    void atomsListIsImmutable() {
      FlowDetail fd = FlowDetail.of("f", "fd").withAtom(TaskDetail.of("a", "ua"));
      assertThatThrownBy(() -> fd.atoms().clear())
          .isInstanceOf(UnsupportedOperationException.class);
      List<AtomDetail> given = new ArrayList<>(List.of(TaskDetail.of("a", "ua")));
      FlowDetail fd2 = FlowDetail.of("fd", "f", FlowState.PENDING, Map.of(), given, 0);
      given.add(TaskDetail.of("b", "ub"));
      assertThat(fd2.size()).isEqualTo(1);
    }

    @Test
    void metaIsNormalisedAndUnmodifiable() {
      Map<String, Object> meta = new HashMap<>();
      meta.put("n", 1L);
      FlowDetail fd = FlowDetail.of("f", "fd").withMeta(meta);
      meta.put("later", 1);
      assertThat(fd.meta()).isEqualTo(Map.of("n", 1));
      assertThatThrownBy(() -> fd.meta().put("x", 1))
          .isInstanceOf(UnsupportedOperationException.class);
      FlowDetail merged = fd.withMetaEntries(Map.of("m", 2));
      assertThat(merged.meta()).isEqualTo(Map.of("n", 1, "m", 2));
      assertThat(fd.withMetaEntries(Map.of())).isSameAs(fd);
    }

    @Test
    void withStateAndRevision() {
      FlowDetail fd = FlowDetail.of("f", "fd");
      assertThat(fd.withState(FlowState.RUNNING).state()).isEqualTo(FlowState.RUNNING);
      assertThatThrownBy(() -> fd.withState(null)).isInstanceOf(NullPointerException.class);
      assertThat(fd.withRevision(0)).isSameAs(fd);
      assertThat(fd.withRevision(3).revision()).isEqualTo(3);
      assertThatThrownBy(() -> FlowDetail.of("fd", "f", FlowState.PENDING, Map.of(), List.of(), -1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("revision");
    }

    @Test
    void equality() {
      TaskDetail a = TaskDetail.of("a", "ua");
      FlowDetail x = FlowDetail.of("f", "fd").withAtom(a).withMeta(Map.of("k", 1));
      FlowDetail y = FlowDetail.of("f", "fd").withMeta(Map.of("k", 1L)).withAtom(a);
      assertThat(x).isEqualTo(y).hasSameHashCodeAs(y);
      assertThat(x).isNotEqualTo(x.withState(FlowState.RUNNING));
      assertThat(x).isNotEqualTo(x.withRevision(1));
      assertThat(x).isNotEqualTo(x.withAtom(a.withState(AtomState.RUNNING)));
      assertThat(x.toString()).contains("fd").contains("atoms=1");
    }

    @Test
    void invalidIds() {
      assertThatThrownBy(() -> FlowDetail.of(null, "u")).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> FlowDetail.of("", "u"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("name");
      assertThatThrownBy(() -> FlowDetail.of("n", ""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uuid");
    }
  }

  @Nested
  class LogBooks {
    @Test
    void newBook() {
      Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
      LogBook book = LogBook.create("orders");
      assertThat(book.name()).isEqualTo("orders");
      assertThat(book.createdAt()).isAfterOrEqualTo(before);
      assertThat(book.updatedAt()).isNull();
      assertThat(book.meta()).isEmpty();
      assertThat(book.flows()).isEmpty();
      assertThat(book.size()).isZero();
      assertThat(LogBook.create("x").uuid()).isNotEqualTo(LogBook.create("x").uuid());
    }

    @Test
    void withFlowSetsUpdatedAtAndKeepsOrder() {
      LogBook book = LogBook.create("b");
      FlowDetail f1 = FlowDetail.of("f1", "u1");
      FlowDetail f2 = FlowDetail.of("f2", "u2");
      Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
      LogBook b1 = book.withFlow(f1).withFlow(f2);
      assertThat(b1.updatedAt()).isNotNull().isAfterOrEqualTo(before);
      assertThat(b1.updatedAt().getNano() % 1000).isZero();
      assertThat(b1.flows()).containsExactly(f1, f2);
      FlowDetail f1b = f1.withState(FlowState.RUNNING);
      LogBook b2 = b1.withFlow(f1b);
      assertThat(b2.flows()).containsExactly(f1b, f2);
      assertThat(b2.find("u1")).contains(f1b);
      assertThat(b1.find("u1")).contains(f1);
      assertThat(b2.find("zz")).isEmpty();
      assertThat(book.flows()).isEmpty();
      assertThat(book.createdAt()).isEqualTo(b2.createdAt());
    }

    @Test
    void timesAreTruncatedToMicroseconds() {
      Instant t = Instant.parse("2020-01-02T03:04:05.123456789Z");
      LogBook book = LogBook.of("u", "b", t, t, Map.of(), List.of());
      assertThat(book.createdAt()).isEqualTo(Instant.parse("2020-01-02T03:04:05.123456Z"));
      assertThat(book.updatedAt()).isEqualTo(Instant.parse("2020-01-02T03:04:05.123456Z"));
      assertThat(book.withUpdatedAt(t.plusNanos(999)).updatedAt())
          .isEqualTo(Instant.parse("2020-01-02T03:04:05.123457Z"));
      assertThat(book.withUpdatedAt(null).updatedAt()).isNull();
      // a round trip through TaskFlow's marshalled form is exact
      assertThat(TaskFlowFormat.logBookFromMap(TaskFlowFormat.logBookToMap(book, true), List.of()))
          .isEqualTo(book);
    }

    @Test
    void createdAtDefaultsToNow() {
      Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
      LogBook book = LogBook.of("u", "b", null, null, null, List.of());
      assertThat(book.createdAt()).isAfterOrEqualTo(before);
      assertThat(book.meta()).isEmpty();
    }

    @Test
    void metaAndFlowsAreImmutable() {
      Map<String, Object> meta = new HashMap<>();
      meta.put("1", 2L);
      LogBook book = LogBook.create("b").withMeta(meta).withFlow(FlowDetail.of("f", "u"));
      meta.put("3", 4);
      assertThat(book.meta()).isEqualTo(Map.of("1", 2));
      assertThatThrownBy(() -> book.meta().clear())
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> book.flows().clear())
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void withFlowsAndWithoutFlows() {
      FlowDetail f1 = FlowDetail.of("f1", "u1");
      FlowDetail f2 = FlowDetail.of("f2", "u2");
      LogBook book = LogBook.create("b").withFlows(List.of(f2, f1));
      assertThat(book.flows()).containsExactly(f2, f1);
      assertThat(book.updatedAt()).isNull();
      LogBook lazy = book.withoutFlows();
      assertThat(lazy.flows()).isEmpty();
      assertThat(lazy.uuid()).isEqualTo(book.uuid());
      assertThat(lazy.withoutFlows()).isSameAs(lazy);
    }

    @Test
    void equality() {
      Instant t = Instant.parse("2020-01-02T03:04:05Z");
      LogBook a = LogBook.of("u", "b", t, null, Map.of("k", 1), List.of(FlowDetail.of("f", "fu")));
      LogBook b = LogBook.of("u", "b", t, null, Map.of("k", 1L), List.of(FlowDetail.of("f", "fu")));
      assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
      assertThat(a).isNotEqualTo(a.withMeta(Map.of()));
      assertThat(a).isNotEqualTo(a.withUpdatedAt(t));
      assertThat(a).isNotEqualTo(a.withoutFlows());
      assertThat(a.toString()).contains("u").contains("flows=1");
    }

    @Test
    void invalidArguments() {
      assertThatThrownBy(() -> LogBook.create(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("name");
      assertThatThrownBy(() -> LogBook.of(null, "b", null, null, Map.of(), List.of()))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("uuid");
      assertThatThrownBy(() -> LogBook.of("", "b", null, null, Map.of(), List.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uuid");
    }
  }
}
