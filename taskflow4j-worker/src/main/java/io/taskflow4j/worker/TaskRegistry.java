package io.taskflow4j.worker;

import io.taskflow4j.Task;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A worker's tasks by remote name: the name an engine puts in a request's {@code task_cls} (by
 * default the task's class name, see {@link RemoteTaskRunner.Builder#remoteName}).
 */
public final class TaskRegistry {
  private final Map<String, TaskFactory> factories = new ConcurrentHashMap<>();

  /** Registers a factory under a remote name (replacing an earlier one). */
  public TaskRegistry register(String remoteName, TaskFactory factory) {
    if (remoteName == null || remoteName.isEmpty()) {
      throw new IllegalArgumentException("a remote task name must be a non-empty string");
    }
    factories.put(remoteName, Objects.requireNonNull(factory, "factory"));
    return this;
  }

  /** Registers a stateless task under its class name: every request runs this same instance. */
  public TaskRegistry register(Task shared) {
    Objects.requireNonNull(shared, "shared");
    return register(shared.getClass().getName(), atom -> shared);
  }

  /** The registered remote names. */
  public Set<String> names() {
    return Set.copyOf(factories.keySet());
  }

  /**
   * The task to run for a request.
   *
   * @throws UnknownTaskException when nothing is registered under {@code remoteName}
   */
  public Task create(String remoteName, String atomName) {
    TaskFactory f = factories.get(remoteName);
    if (f == null) {
      throw new UnknownTaskException(remoteName, names());
    }
    Task t = f.create(atomName);
    if (t == null) {
      throw new IllegalStateException(
          "the factory of remote task '" + remoteName + "' returned null for atom " + atomName);
    }
    return t;
  }

  /**
   * Loads providers: {@code workloads} for {@link WorkloadTasks}, or class names of {@link
   * TaskProvider}s.
   *
   * @throws IllegalArgumentException naming a provider that cannot be loaded
   */
  public static TaskRegistry load(Iterable<String> providers, Map<String, String> options) {
    TaskRegistry r = new TaskRegistry();
    Map<String, String> opts = options == null ? Map.of() : new LinkedHashMap<>(options);
    for (String p : providers) {
      TaskProvider provider;
      if ("workloads".equals(p)) {
        provider = new WorkloadTasks();
      } else {
        try {
          Class<?> c = Class.forName(p, true, TaskRegistry.class.getClassLoader());
          if (!TaskProvider.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException(
                "task provider '" + p + "' does not implement " + TaskProvider.class.getName());
          }
          provider = (TaskProvider) c.getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
          throw new IllegalArgumentException(
              "task provider '" + p + "' not found: is it on the class path?");
        } catch (ReflectiveOperationException | LinkageError e) {
          throw new IllegalArgumentException(
              "cannot create task provider '"
                  + p
                  + "' (it needs a public no-argument constructor): "
                  + e,
              e);
        }
      }
      provider.register(r, opts);
    }
    return r;
  }

  /** A request named a task this worker does not have. */
  public static final class UnknownTaskException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnknownTaskException(String name, Set<String> known) {
      super(
          "this worker has no task '"
              + name
              + "'; it serves "
              + known
              + " (register it in the worker's TaskRegistry)");
    }
  }
}
