package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Sample values and assertions shared by the contract cases. */
final class Fixtures {
  /** A creation time in the past, with microseconds, as a store keeps it. */
  static final Instant CREATED = Instant.parse("2020-01-02T03:04:05.123456Z");

  private Fixtures() {}

  static String uuid() {
    return UUID.randomUUID().toString();
  }

  /** A logbook with these flows, created at {@link #CREATED}, never updated, with no meta. */
  static LogBook book(String name, FlowDetail... flows) {
    return LogBook.of(uuid(), name, CREATED, null, Map.of(), Arrays.asList(flows));
  }

  /** A PENDING flow detail holding these atoms. */
  static FlowDetail flow(String name, AtomDetail... atoms) {
    return FlowDetail.create(name).withAtoms(Arrays.asList(atoms));
  }

  static TaskDetail task(String name) {
    return TaskDetail.create(name);
  }

  /** {@code n} task details named {@code prefix-<i>}. */
  static List<AtomDetail> tasks(String prefix, int n) {
    List<AtomDetail> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(TaskDetail.create(prefix + "-" + i));
    }
    return out;
  }

  /** A failure captured from a live exception (so it has a real stack text). */
  static Failure failure(String message) {
    try {
      throw new RuntimeException(message);
    } catch (RuntimeException e) {
      return Failure.of(e);
    }
  }

  /** A failure with two levels of causes and non-ASCII text. */
  static Failure failureWithCauses() {
    ArithmeticException root = new ArithmeticException("/ by zero");
    IOException middle = new IOException("disk full: pläne ✓", root);
    IllegalStateException top = new IllegalStateException("could not save 'résumé' 日本", middle);
    return Failure.of(top);
  }

  /** The value with every revision set to 0, for comparing what was stored with what was sent. */
  static AtomDetail unrevised(AtomDetail ad) {
    return ad.withRevision(0);
  }

  static FlowDetail unrevised(FlowDetail fd) {
    List<AtomDetail> atoms = new ArrayList<>(fd.size());
    for (AtomDetail ad : fd.atoms()) {
      atoms.add(unrevised(ad));
    }
    return fd.withAtoms(atoms).withRevision(0);
  }

  static LogBook unrevised(LogBook book) {
    List<FlowDetail> flows = new ArrayList<>(book.size());
    for (FlowDetail fd : book.flows()) {
      flows.add(unrevised(fd));
    }
    return book.withFlows(flows);
  }

  static List<String> uuids(List<?> values) {
    List<String> out = new ArrayList<>(values.size());
    for (Object v : values) {
      if (v instanceof LogBook b) {
        out.add(b.uuid());
      } else if (v instanceof FlowDetail f) {
        out.add(f.uuid());
      } else {
        out.add(((AtomDetail) v).uuid());
      }
    }
    return out;
  }

  /** Asserts a {@link NotFoundException} whose message names the missing uuid. */
  static void assertNotFound(ThrowingCallable call, String uuid) {
    assertThatThrownBy(call).isInstanceOf(NotFoundException.class).hasMessageContaining(uuid);
  }

  /** Asserts a {@link ConflictException} whose message names the uuid written stale. */
  static void assertConflict(ThrowingCallable call, String uuid) {
    assertThatThrownBy(call).isInstanceOf(ConflictException.class).hasMessageContaining(uuid);
  }

  /** A record, converted to a JSON object by its components. */
  record Point(int x, String label) {}

  /** A bean that refers to itself: not representable as JSON. */
  static final class Loop {
    public Loop next = this;
  }

  /** A 1 MiB string mixing ASCII and multi-byte characters. */
  static String oneMegabyte() {
    StringBuilder sb = new StringBuilder(1 << 20);
    String pattern = "0123456789abcdefghijklmnopqrstuvwxyz-é✓日\n";
    while (sb.length() < (1 << 20)) {
      sb.append(pattern);
    }
    sb.setLength(1 << 20);
    return sb.toString();
  }
}
