package io.taskflow4j.verify;

import io.taskflow4j.persistence.Backend;
import java.util.List;

/**
 * Backend-specific checks of {@link StoreVerifier}, looking below the {@link
 * io.taskflow4j.persistence.Connection} API at the raw records (files, rows, znodes) for what that
 * API cannot show: records no parent links to, leftovers of interrupted writes. Implementations are
 * found with {@link java.util.ServiceLoader} (register them in {@code
 * META-INF/services/io.taskflow4j.verify.RawStoreInspector}), as the directory, SQL and ZooKeeper
 * backends register theirs.
 */
public interface RawStoreInspector {

  /** Whether this inspector knows how to look into {@code backend}'s store. */
  boolean supports(Backend backend);

  /**
   * Looks into the store of {@code backend} (read only: it must change nothing).
   *
   * @return the problems found, empty when none
   */
  List<Problem> inspect(Backend backend);
}
