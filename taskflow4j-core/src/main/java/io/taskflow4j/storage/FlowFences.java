package io.taskflow4j.storage;

import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.StorageException;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A flow's own fence: what makes a resume of a stored flow its only runner among resumes (the
 * engine's {@code Engines.Builder.exclusive()}, the command's {@code resume}). Each resume raises
 * the fence of the flow it resumes above the token any other resume holds, then writes only through
 * a view fenced by its token ({@link Connection#fenced}): the latest resume takes the flow over,
 * and an earlier one still running has its next write refused ({@link FencedException}) and stops
 * without writing more. A conductor's job has a fence of its own (the job's), which its jobboard
 * gives.
 */
public final class FlowFences {
  /** The key of a flow's fence: this, then the flow's uuid. */
  public static final String KEY_PREFIX = "resume-";

  private FlowFences() {}

  /** The key of the fence of flow {@code flowUuid}. */
  public static String key(String flowUuid) {
    return KEY_PREFIX + Objects.requireNonNull(flowUuid, "flowUuid");
  }

  /**
   * Raises the fence of flow {@code flowUuid} to a token above the one the store holds: the stored
   * token plus 1 plus a random number below 2<sup>31</sup>, so two resumes that read the same
   * stored token at once raise it to different tokens (equal with a chance of about 1 in
   * 2<sup>31</sup>; then both run, and revision checks still keep them from overwriting each
   * other). The lower one loses: refused when it raises its own after the higher, or at its next
   * write when it raised first.
   *
   * @return the fence raised, whose token this resume writes with
   * @throws FencedException when another resume raised the fence higher meanwhile
   * @throws StorageException when the backend cannot fence
   */
  public static Fence raise(Connection conn, String flowUuid) {
    Objects.requireNonNull(conn, "conn");
    String key = key(flowUuid);
    long stored = conn.fenceToken(key).orElse(0);
    long step = 1 + ThreadLocalRandom.current().nextLong(1L << 31);
    if (stored > Long.MAX_VALUE - step) {
      throw new StorageException(
          "The fence of flow "
              + flowUuid
              + " holds token "
              + stored
              + ", too high to raise; delete the fence '"
              + key
              + "' from the store once no process resumes the flow");
    }
    Fence fence = new Fence(key, stored + step);
    conn.advanceFence(fence);
    return fence;
  }
}
