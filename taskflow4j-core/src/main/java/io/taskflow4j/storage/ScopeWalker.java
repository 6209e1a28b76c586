package io.taskflow4j.storage;

import java.util.List;

/**
 * Tells which atoms' results an atom may see, as the engine's compiler lays out the flow. Used by
 * {@link Storage#fetchMappedArgs} to pick the nearest provider of a name.
 *
 * <p><b>Not API.</b> Public only because the engine, another package, exchanges it with {@link
 * Storage}'s engine-facing methods; it may change in any release.
 */
@FunctionalInterface
public interface ScopeWalker {

  /**
   * The names of the atoms visible from {@code atomName}, level by level, nearest level first
   * (within a level, nearest atom first). Values injected at flow level are visible everywhere and
   * need not be listed.
   */
  List<List<String>> visibleLevels(String atomName);
}
