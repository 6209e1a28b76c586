package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Storage over the memory backend. */
class MemoryStorageTest extends StorageBehaviourTest {

  @Override
  Backend newBackend() {
    return new MemoryBackend();
  }

  /**
   * Ten thousand atoms: ensured in one write, then two writes each. Quadratic work per operation
   * (copying the flow detail per write) would take minutes here; no timing is asserted.
   */
  @Test
  void ten_thousand_atoms_stay_linear() {
    Storage s = counted();
    int n = 10_000;
    List<AtomSpec> specs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      specs.add(task("t" + i, ResultMapping.whole("v" + i)));
    }
    rc.resetCounts();
    assertThat(s.ensureAtoms(specs)).hasSize(n);
    assertThat(rc.flowWrites.get()).isEqualTo(1);
    for (int i = 0; i < n; i++) {
      String name = "t" + i;
      s.setAtomState(name, AtomState.RUNNING, Map.of("progress", 0.0));
      s.save(name, i, AtomState.SUCCESS, Map.of("progress", 1.0));
      if (i > 0) {
        assertThat(s.fetchMappedArgs(Map.of("x", "v" + (i - 1)), name, null, null))
            .containsEntry("x", i - 1);
      }
    }
    assertThat(rc.atomWrites.get()).isEqualTo(2 * n);
    assertThat(s.getAtomsStates(List.of("t0", "t9999")).get("t9999").state())
        .isEqualTo(AtomState.SUCCESS);
    assertThat(s.fetch("v9999")).isEqualTo(9999);
    rc.resetCounts();
    Storage r = new Storage(rc.getFlowDetails(s.flowUuid()), rc, options());
    r.ensureAtoms(specs);
    assertThat(rc.flowWrites.get()).isZero();
    assertThat(r.fetchAll()).hasSize(n);
  }
}
