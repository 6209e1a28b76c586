package io.taskflow4j.storage;

import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import java.util.List;

/**
 * Where a {@link Storage} writes: through a {@link Connection} ({@link ConnectionWriter}), or into
 * the private in-memory store that a {@code null} connection selects ({@link PrivateStore}). Each
 * write returns the value as stored (with its new revision), or throws and changes nothing.
 *
 * <p>Exactly two implementations, so calls from the storage's hot path stay bimorphic.
 */
abstract sealed class StoreWriter permits ConnectionWriter, PrivateStore {

  /** The writer for {@code connection}; {@code null} selects the private store. */
  static StoreWriter of(Connection connection, StorageOptions options) {
    return connection == null
        ? new PrivateStore(options)
        : new ConnectionWriter(connection, options);
  }

  /** {@code fd} as this store holds it when a storage opens over it. */
  abstract FlowDetail adopt(FlowDetail fd);

  /**
   * A new entry with a new PENDING detail for atom {@code spec} named {@code name}, whose detail
   * has the uuid {@code uuid} (not yet written).
   */
  abstract AtomEntry newEntry(AtomSpec spec, String name, int ordinal, String uuid);

  /**
   * Writes the new details of {@code created} in one write of flow detail {@code header} carrying
   * only them, and gives each entry its stored detail.
   *
   * @return the flow detail's fields as written
   */
  abstract FlowDetail writeCreated(FlowDetail header, NameIndex<AtomEntry> created);

  /**
   * Whether {@link #writeCreated} writes {@code header}'s own fields too (a state it carries), so
   * that new atoms may wait for the flow detail's next write ({@code DetailWriter.deferCreated}).
   */
  boolean writesCreatedWithFlow() {
    return false;
  }

  /**
   * Writes an atom detail of the flow detail named {@code flowName} (named only in messages).
   *
   * @return the detail as stored
   */
  abstract AtomDetail writeAtom(AtomDetail updated, String flowName);

  /**
   * Writes atom details of the flow detail named {@code flowName} together, all or none (only
   * called when {@link #writesAtomsTogether()}); messages name them by their names.
   *
   * @return the details as stored, in the order given
   */
  abstract List<AtomDetail> writeAtoms(List<AtomDetail> updated, String flowName);

  /** Whether {@link #writeAtoms} writes all or none in one commit of the store. */
  abstract boolean writesAtomsTogether();

  /**
   * Writes a flow detail's fields and the atom details it carries; {@code what} names the atoms in
   * messages ({@code null}: the flow detail's own fields are written).
   *
   * @return the flow detail as stored, with the stored atom details
   */
  abstract FlowDetail writeFlow(FlowDetail updated, String what);

  /**
   * The flow detail {@code uuid} as the store holds it now, with its atom details, or {@code null}
   * when no one but this storage writes the store (nothing can have changed it).
   */
  abstract FlowDetail readFlow(String uuid);

  /**
   * Deletes flow detail {@code header} from the store if its revision is still the one given, then
   * logbook {@code bookUuid} (when not null) if that left it empty.
   *
   * @return whether the flow detail was deleted
   */
  abstract boolean discard(FlowDetail header, String bookUuid);
}
