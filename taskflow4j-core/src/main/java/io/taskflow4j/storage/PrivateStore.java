package io.taskflow4j.storage;

import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The private in-memory store a storage without a connection writes to. Nothing can read it but
 * that storage, which holds every value it writes, so a write only moves the revisions on, as a
 * fresh {@code MemoryBackend} would; it cannot fail and cannot be fenced.
 */
final class PrivateStore extends StoreWriter {
  private final StorageOptions options;

  PrivateStore(StorageOptions options) {
    this.options = options;
  }

  @Override
  FlowDetail adopt(FlowDetail fd) {
    // A logbook uuid is still drawn, so uuid suppliers see the same sequence as with a
    // MemoryBackend.
    LogBook.of(
        options.uuidSupplier().get(),
        fd.name(),
        options.clock().instant(),
        null,
        Map.of(),
        List.of(fd));
    return stored(fd, true);
  }

  /** The detail is made only when it is first read (see {@link AtomEntry#detail()}). */
  @Override
  AtomEntry newEntry(AtomSpec spec, String name, int ordinal, String uuid) {
    if (!options.randomUuids()) {
      TaskDetail.of(name, uuid); // checks a supplied uuid now, as a made detail would
    }
    return new AtomEntry(name, spec.kind(), ordinal, uuid, spec.version());
  }

  /** Only the flow detail's revision moves on: the entries make their details (revision 1). */
  @Override
  FlowDetail writeCreated(FlowDetail header, NameIndex<AtomEntry> created) {
    return header.withRevision(header.revision() + 1);
  }

  @Override
  List<AtomDetail> writeAtoms(List<AtomDetail> updated, String flowName) {
    List<AtomDetail> out = new ArrayList<>(updated.size());
    for (AtomDetail ad : updated) {
      out.add(writeAtom(ad, flowName));
    }
    return out;
  }

  @Override
  boolean writesAtomsTogether() {
    return false; // nothing to gain: it writes to memory
  }

  @Override
  AtomDetail writeAtom(AtomDetail updated, String flowName) {
    return updated.withRevision(updated.revision() + 1);
  }

  @Override
  FlowDetail writeFlow(FlowDetail updated, String what) {
    return stored(updated, false);
  }

  /** Nothing is stored beyond this process: there is nothing to delete. */
  @Override
  boolean discard(FlowDetail header, String bookUuid) {
    return false;
  }

  @Override
  FlowDetail readFlow(String uuid) {
    return null;
  }

  /**
   * {@code fd} as a fresh {@code MemoryBackend} returns it: revision 1 for what it did not hold
   * ({@code fresh}: nothing), the next revision for the rest.
   */
  private static FlowDetail stored(FlowDetail fd, boolean fresh) {
    List<AtomDetail> ads = fd.atoms();
    FlowDetail out = fd;
    if (!ads.isEmpty()) {
      List<AtomDetail> written = new ArrayList<>(ads.size());
      for (AtomDetail ad : ads) {
        written.add(ad.withRevision(fresh ? 1 : ad.revision() + 1));
      }
      out = fd.withAtoms(written);
    }
    return out.withRevision(fresh ? 1 : fd.revision() + 1);
  }
}
