package io.taskflow4j.storage;

import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.WriteOutcomeUnknownException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes through a {@link Connection} with the one retry policy of a write.
 *
 * <p><b>Retries.</b> A connection that {@link Connection#retriesTransientErrors() retries its own
 * transient errors} gets each write once: retrying here too would multiply its attempts and
 * back-offs. Any other connection gets {@link StorageOptions#writeAttempts()} attempts of a write
 * failing with a {@link StorageException}, with the options' back-off. A {@link ConflictException}
 * (another writer changed the record) is never retried; foreign exceptions from a misbehaving
 * connection become {@link StorageException}s.
 *
 * <p><b>Lost replies.</b> A write can reach the store and still fail on its way back. When this
 * writer retries, the retry then meets a {@link ConflictException} (the stored revision has moved
 * on); a connection that retries itself reports a write whose outcome it cannot tell with a {@link
 * WriteOutcomeUnknownException} (a ZooKeeper connection settles its lost replies itself and never
 * needs to). In those two cases only, the record is read back once and, when the store already
 * holds exactly what was being written, that stored value is the result; otherwise the failure is
 * reported. That read is recovery, not another attempt: nothing is written again.
 *
 * <p><b>Fencing.</b> The first {@link FencedException} is kept: this run lost its claim, so every
 * later write is refused without asking the store.
 */
final class ConnectionWriter extends StoreWriter {
  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  private final Connection connection;
  private final StorageOptions options;

  /** Attempts of one write: 1 when the connection retries itself. */
  private final int attempts;

  /** The first fenced write, after which every write is refused without asking the store. */
  private volatile FencedException fenced;

  ConnectionWriter(Connection connection, StorageOptions options) {
    this.connection = connection;
    this.options = options;
    this.attempts = connection.retriesTransientErrors() ? 1 : options.writeAttempts();
  }

  @Override
  FlowDetail adopt(FlowDetail fd) {
    return fd;
  }

  @Override
  AtomEntry newEntry(AtomSpec spec, String name, int ordinal, String uuid) {
    return new AtomEntry(
        name,
        spec.kind(),
        AtomEntry.freshDetail(spec.kind(), uuid, name, spec.version(), 0),
        ordinal);
  }

  @Override
  FlowDetail writeCreated(FlowDetail header, NameIndex<AtomEntry> created) {
    List<AtomDetail> toAdd = new ArrayList<>(created.size());
    for (AtomEntry e : created) {
      toAdd.add(e.detail());
    }
    FlowDetail written = writeFlow(header.withAtoms(toAdd), "the new atom details");
    List<AtomDetail> writtenAtoms = written.atoms();
    boolean sameOrder = writtenAtoms.size() == toAdd.size();
    for (int i = 0; i < toAdd.size(); i++) {
      AtomDetail ad = toAdd.get(i);
      // A backend answers in the order written; matched by position, found by uuid otherwise.
      created.at(i).detail =
          sameOrder && writtenAtoms.get(i).uuid().equals(ad.uuid())
              ? writtenAtoms.get(i)
              : written.find(ad.uuid()).orElse(ad);
    }
    return written.withoutAtoms();
  }

  @Override
  boolean writesCreatedWithFlow() {
    return true; // one flow-detail write: its own fields and the new atoms
  }

  @Override
  AtomDetail writeAtom(AtomDetail updated, String flowName) {
    return (AtomDetail) write(updated, updated.name(), flowName);
  }

  @Override
  @SuppressWarnings("unchecked")
  List<AtomDetail> writeAtoms(List<AtomDetail> updated, String flowName) {
    // named in messages only, from the list (a name made here would cost every write)
    return (List<AtomDetail>) write(List.copyOf(updated), null, flowName);
  }

  @Override
  boolean writesAtomsTogether() {
    return connection.updatesAtomsTogether();
  }

  @Override
  FlowDetail writeFlow(FlowDetail updated, String what) {
    return (FlowDetail) write(updated, what, null);
  }

  @Override
  FlowDetail readFlow(String uuid) {
    return connection.getFlowDetails(uuid, false);
  }

  @Override
  boolean discard(FlowDetail header, String bookUuid) {
    connection.destroyFlowDetail(header.uuid(), header.revision());
    if (bookUuid != null) {
      connection.destroyLogBookIfEmpty(bookUuid);
    }
    return true;
  }

  /**
   * What a write is about, for messages only: atom {@code name} of flow {@code flowName}, else
   * {@code name} of flow detail {@code value}'s, else the flow detail itself.
   */
  private static String describe(Object value, String name, String flowName) {
    if (value instanceof List<?> l) {
      StringBuilder names = new StringBuilder("atom details ");
      for (int i = 0; i < l.size(); i++) {
        names.append(i == 0 ? "" : i == l.size() - 1 ? " and " : ", ");
        names.append('\'').append(((AtomDetail) l.get(i)).name()).append('\'');
      }
      return names + " of flow detail '" + flowName + "'";
    }
    if (flowName != null) {
      return "atom detail '" + name + "' of flow detail '" + flowName + "'";
    }
    String flow = "flow detail '" + ((FlowDetail) value).name() + "'";
    return name == null ? flow : name + " of " + flow;
  }

  /**
   * One attempt: an {@link AtomDetail}, a list of them (written together) or a {@link FlowDetail}
   * (with the atoms it carries).
   */
  @SuppressWarnings("unchecked")
  private Object store(Object value) {
    if (value instanceof AtomDetail ad) {
      return connection.updateAtomDetails(ad);
    }
    if (value instanceof List<?> l) {
      List<AtomDetail> written = connection.updateAtomDetails((List<AtomDetail>) l);
      if (written != null && written.size() != l.size()) {
        throw new StorageException(
            "the backend returned " + written.size() + " atom details for a write of " + l.size());
      }
      return written;
    }
    return connection.updateFlowDetails((FlowDetail) value);
  }

  /**
   * Writes {@code value} (see the class comment for retries, lost replies and fencing); {@code
   * name} and {@code flowName} are read only for messages (see {@link #describe}).
   */
  private Object write(Object value, String name, String flowName) {
    FencedException wasFenced = fenced;
    if (wasFenced != null) {
      throw new FencedException(
          "Write of "
              + describe(value, name, flowName)
              + " refused: an earlier write was fenced ("
              + wasFenced.getMessage()
              + ")",
          wasFenced);
    }
    List<StorageException> failures = null;
    for (int attempt = 1; ; attempt++) {
      try {
        Object written = store(value);
        if (written == null) {
          throw new StorageException(
              "the backend returned nothing for a write of " + describe(value, name, flowName));
        }
        return written;
      } catch (FencedException e) {
        fenced = e; // final: this run lost its claim; no later write may be tried
        throw e;
      } catch (StorageException e) {
        if (failures == null) {
          failures = new ArrayList<>(attempts);
        }
        failures.add(e);
        if (attempt >= attempts) {
          if (e instanceof WriteOutcomeUnknownException) {
            Object recovered = tryRecover(value, e);
            if (recovered != null) {
              LOG.info(
                  "Save of {} reached the store although its outcome was reported unknown",
                  describe(value, name, flowName));
              return recovered;
            }
          }
          break;
        }
        Duration wait = options.backoffAfter(attempt);
        LOG.warn(
            "Failed to save {} (attempt {} of {}), retrying in {} ms: {}",
            describe(value, name, flowName),
            attempt,
            attempts,
            wait.toMillis(),
            e.getMessage());
        sleep(wait, describe(value, name, flowName));
      } catch (ConflictException e) {
        if (failures != null) {
          Object recovered = tryRecover(value, e);
          if (recovered != null) {
            LOG.info(
                "Save of {} had reached the store before its reply was lost",
                describe(value, name, flowName));
            return recovered;
          }
        }
        throw e; // another writer changed the record: retrying cannot help
      } catch (TaskFlowException e) {
        throw e; // missing records, refused values: retrying cannot help
      } catch (RuntimeException e) {
        throw new StorageException(
            "Failed to save "
                + describe(value, name, flowName)
                + ": the backend failed with "
                + e.getClass().getName(),
            e);
      }
    }
    StorageException last = failures.get(failures.size() - 1);
    StorageException out =
        new StorageException(
            "Failed to save "
                + describe(value, name, flowName)
                + " after "
                + attempts
                + (attempts == 1 ? " attempt: " : " attempts: ")
                + last.getMessage(),
            last);
    for (int i = 0; i < failures.size() - 1; i++) {
      out.addSuppressed(failures.get(i));
    }
    throw out;
  }

  /** The stored value if the store already holds exactly {@code value}, else {@code null}. */
  private Object tryRecover(Object value, RuntimeException failure) {
    try {
      if (value instanceof List<?> l) {
        List<AtomDetail> out = new ArrayList<>(l.size());
        for (Object o : l) {
          AtomDetail recovered = recoverAtom((AtomDetail) o);
          if (recovered == null) {
            return null;
          }
          out.add(recovered);
        }
        return out;
      }
      return value instanceof AtomDetail ad ? recoverAtom(ad) : recoverFlow((FlowDetail) value);
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
      return null;
    }
  }

  /**
   * The stored atom detail if the store already holds exactly {@code intended} (under a newer
   * revision), else {@code null}.
   */
  private AtomDetail recoverAtom(AtomDetail intended) {
    AtomDetail stored = connection.getAtomDetails(intended.uuid());
    return stored.equals(intended.withRevision(stored.revision())) ? stored : null;
  }

  /**
   * The stored flow detail (with the atoms {@code intended} carries) if the store already holds
   * exactly {@code intended}, else {@code null}.
   */
  private FlowDetail recoverFlow(FlowDetail intended) {
    FlowDetail stored = connection.getFlowDetails(intended.uuid(), true);
    if (!stored.equals(intended.withoutAtoms().withRevision(stored.revision()))) {
      return null;
    }
    List<AtomDetail> atomsOut = new ArrayList<>(intended.size());
    for (AtomDetail ad : intended.atoms()) {
      AtomDetail recovered = recoverAtom(ad);
      if (recovered == null) {
        return null;
      }
      atomsOut.add(recovered);
    }
    return stored.withAtoms(atomsOut);
  }

  private void sleep(Duration wait, String what) {
    if (wait.isZero()) {
      return;
    }
    try {
      options.sleeper().sleep(wait);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while waiting to retry saving " + what, ie);
    }
  }
}
