package io.taskflow4j;

import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.internal.ArraySet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The unit an engine runs and records: a {@link Task} or a {@link Retry} controller.
 *
 * <p>An atom declares the arguments it needs ({@code requires}, {@code optional}) with their Java
 * types, where those arguments come from ({@code rebind}: argument name → the name another atom
 * provides), values injected for it alone ({@code inject}) and how its result is published ({@link
 * Provides}). The configuration is fixed once an engine compiles a flow containing the atom ({@link
 * #seal()}); changing it afterwards is an {@link IllegalStateException}.
 */
public abstract class Atom implements FlowElement {
  /** The version recorded for atoms that do not set one (TaskFlow's {@code "1.0"}). */
  public static final String DEFAULT_VERSION = "1.0";

  private final String name;
  private String version = DEFAULT_VERSION;

  /** How the result is published: the name alone when the whole result goes under one name. */
  private Object provides = Provides.none();

  // Shared empty maps until configured, compact copies once sealed: a flow of many atoms keeps
  // every atom alive for its whole run.
  private Map<String, Class<?>> required = Map.of();
  private Map<String, Class<?>> optional = Map.of();
  private Map<String, String> rebindMap = Map.of();
  private List<String> rebindList = List.of();
  private Map<String, Object> inject = Map.of();

  // The configuration as fixed at seal(), computed once so engines never recompute it. Kept in
  // fields of the atom (no holder object), and sharing what it can with the declared
  // configuration: every atom of a large flow stays alive for the whole run, and each object it
  // holds is one more for the garbage collector to copy.
  private Set<String> optionalArgs;
  private Map<String, Class<?>> types;

  /** Argument name → fetched name; set last by {@link #seal()}, so non-null means sealed. */
  private volatile Map<String, String> mapping;

  /**
   * @param name the atom's name, unique within a flow
   */
  protected Atom(String name) {
    Objects.requireNonNull(name, "atom name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("an atom name must not be blank");
    }
    this.name = name;
  }

  @Override
  public final String name() {
    return name;
  }

  /** The version string recorded in the logbook ({@value #DEFAULT_VERSION} by default). */
  public final String version() {
    return version;
  }

  /** How the result is published. */
  public final Provides provides() {
    return provides instanceof String whole ? Provides.whole(whole) : (Provides) provides;
  }

  /** Values injected for this atom alone (argument name → value). */
  public final Map<String, Object> injected() {
    return inject;
  }

  // ---- configuration (subclasses expose fluent public variants) ----

  protected final void setVersion(String v) {
    checkOpen();
    Objects.requireNonNull(v, "version");
    this.version = v;
  }

  protected final void setProvides(Provides p) {
    checkOpen();
    Objects.requireNonNull(p, "provides");
    // A large flow keeps every atom for its whole run: the common shape keeps no object of its own.
    this.provides = p.mode() == Provides.Mode.WHOLE ? p.names().get(0) : p;
  }

  protected final void addRequired(String arg, Class<?> type) {
    checkOpen();
    checkArg(arg);
    if (optional.containsKey(arg)) {
      optional = without(optional, arg);
    }
    required = with(required, arg, type == null ? Object.class : boxed(type));
  }

  protected final void addOptional(String arg, Class<?> type) {
    checkOpen();
    checkArg(arg);
    if (required.containsKey(arg)) {
      required = without(required, arg);
    }
    optional = with(optional, arg, type == null ? Object.class : boxed(type));
  }

  // Declared arguments are held in compact maps from the start, copied on each change: an atom
  // declares a few, and a large flow builds hundreds of thousands of atoms.
  private static Map<String, Class<?>> with(Map<String, Class<?>> m, String k, Class<?> v) {
    return ArrayMap.shared(ArrayMap.copyWith(ArrayMap.copyOf(m), k, v));
  }

  private static Map<String, Class<?>> without(Map<String, Class<?>> m, String k) {
    Map<String, Class<?>> copy = new LinkedHashMap<>(m);
    copy.remove(k);
    return ArrayMap.copyOf(copy);
  }

  protected final void setRebind(Map<String, String> argToName) {
    checkOpen();
    Objects.requireNonNull(argToName, "rebind");
    argToName.forEach(
        (k, v) -> {
          checkArg(k);
          checkArg(v);
        });
    this.rebindMap = ArrayMap.copyOf(argToName);
    this.rebindList = List.of();
  }

  protected final void setRebind(List<String> names) {
    checkOpen();
    Objects.requireNonNull(names, "rebind");
    names.forEach(Atom::checkArg);
    this.rebindList = List.copyOf(names);
    this.rebindMap = Map.of();
  }

  protected final void setInject(Map<String, ?> values) {
    checkOpen();
    Objects.requireNonNull(values, "inject");
    values.keySet().forEach(Atom::checkArg);
    this.inject = ArrayMap.copyOf(values);
  }

  private static void checkArg(String arg) {
    Objects.requireNonNull(arg, "argument name");
    if (arg.isEmpty()) {
      throw new IllegalArgumentException("an argument name must not be empty");
    }
  }

  private void checkOpen() {
    if (mapping != null) {
      throw new IllegalStateException(
          "atom '" + name + "' is already part of a compiled flow; configure it before loading");
    }
  }

  private static Class<?> boxed(Class<?> t) {
    if (!t.isPrimitive()) {
      return t;
    }
    if (t == int.class) {
      return Integer.class;
    } else if (t == long.class) {
      return Long.class;
    } else if (t == double.class) {
      return Double.class;
    } else if (t == boolean.class) {
      return Boolean.class;
    } else if (t == float.class) {
      return Float.class;
    } else if (t == short.class) {
      return Short.class;
    } else if (t == byte.class) {
      return Byte.class;
    } else if (t == char.class) {
      return Character.class;
    }
    throw new IllegalArgumentException("void is not an argument type");
  }

  /**
   * Fixes the configuration (engines call this when compiling) and checks it: rebinding must name
   * declared arguments. Idempotent.
   *
   * @throws IllegalArgumentException when the configuration is inconsistent
   */
  public final void seal() {
    if (mapping != null) {
      return;
    }
    synchronized (this) {
      if (mapping != null) {
        return;
      }
      checkConfiguration();
      ArrayMap<String, Class<?>> req = ArrayMap.copyOf(required);
      ArrayMap<String, Class<?>> opt = ArrayMap.copyOf(optional);
      int nRequired = req.size();
      int n = nRequired + opt.size();
      // The mapping, built in place: each declared argument fetched by its own name, then rebound.
      Object[] built = new Object[2 * n];
      for (int i = 0; i < n; i++) {
        String arg = i < nRequired ? req.keyAt(i) : opt.keyAt(i - nRequired);
        built[2 * i] = arg;
        built[2 * i + 1] = arg;
      }
      if (!rebindList.isEmpty()) {
        if (rebindList.size() > n) {
          throw new IllegalArgumentException(
              "atom '"
                  + name
                  + "' rebinds "
                  + rebindList.size()
                  + " arguments by position but declares only "
                  + n
                  + " "
                  + declaredNames(built));
        }
        for (int i = 0; i < rebindList.size(); i++) {
          built[2 * i + 1] = rebindList.get(i);
        }
      }
      // A rebinding of every argument, in declaration order, is the mapping itself.
      boolean sameAsRebind = rebindMap.size() == n;
      int at = 0;
      for (Map.Entry<String, String> e : rebindMap.entrySet()) {
        int i = positionOf(e.getKey(), req, opt);
        if (i < 0) {
          throw new IllegalArgumentException(
              "atom '"
                  + name
                  + "' rebinds argument '"
                  + e.getKey()
                  + "' that it does not declare; declared arguments are "
                  + declaredNames(built)
                  + " (add it with requires(...) or optional(...))");
        }
        built[2 * i + 1] = e.getValue();
        sameAsRebind &= i == at++;
      }
      // An empty map stays the shared one: a copy would be one more object per atom.
      required = req.isEmpty() ? Map.of() : req;
      optional = opt.isEmpty() ? Map.of() : opt;
      if (opt.isEmpty()) {
        types = required;
      } else {
        Object[] all = new Object[2 * n];
        for (int i = 0; i < n; i++) {
          all[2 * i] = built[2 * i];
          all[2 * i + 1] = i < nRequired ? req.get(built[2 * i]) : opt.get(built[2 * i]);
        }
        types = ArrayMap.shared(ArrayMap.ofDistinct(all));
      }
      optionalArgs = ArraySet.copyOf(opt.keySet());
      Map<String, String> fixed =
          n == 0
              ? Map.of()
              : sameAsRebind && rebindList.isEmpty() && rebindMap instanceof ArrayMap
                  ? rebindMap
                  : ArrayMap.shared(ArrayMap.ofDistinct(built));
      rebindMap = Map.of();
      rebindList = List.of();
      this.mapping = fixed;
    }
  }

  /** The position of argument {@code arg} in declaration order (required first), or -1. */
  private static int positionOf(String arg, ArrayMap<String, ?> req, ArrayMap<String, ?> opt) {
    int i = req.indexOfKey(arg);
    if (i >= 0) {
      return i;
    }
    i = opt.indexOfKey(arg);
    return i >= 0 ? req.size() + i : -1;
  }

  /** The argument names of a mapping being built (alternating names and fetched names). */
  private static List<String> declaredNames(Object[] built) {
    List<String> names = new ArrayList<>(built.length / 2);
    for (int i = 0; i < built.length; i += 2) {
      names.add((String) built[i]);
    }
    return names;
  }

  /** How many arguments are declared so far (required and optional). */
  protected final int declaredArgumentCount() {
    return required.size() + optional.size();
  }

  /** The argument names declared so far, required first (does not seal). */
  protected final List<String> declaredArguments() {
    List<String> all = new ArrayList<>(required.keySet());
    all.addAll(optional.keySet());
    return all;
  }

  /** Hook for subclasses to check their configuration when sealed. */
  protected void checkConfiguration() {}

  /** Argument name → the name its value is fetched by (after rebinding). Seals the atom. */
  public final Map<String, String> argumentMapping() {
    Map<String, String> m = mapping;
    if (m == null) {
      seal();
      m = mapping;
    }
    return m;
  }

  /** The optional argument names. Seals the atom. */
  public final Set<String> optionalArguments() {
    argumentMapping();
    return optionalArgs;
  }

  /** Argument name → declared Java type ({@code Object} when undeclared). Seals the atom. */
  public final Map<String, Class<?>> argumentTypes() {
    argumentMapping();
    return types;
  }

  /** Argument names in declaration order: required first, then optional. Seals the atom. */
  public final List<String> argumentNames() {
    return List.copyOf(argumentMapping().keySet());
  }

  /** The {@code i}-th argument name in declaration order (required first). Seals the atom. */
  protected final String argumentName(int i) {
    Map<String, String> m = argumentMapping();
    if (m instanceof ArrayMap<String, String> a) {
      return a.keyAt(i);
    }
    return List.copyOf(m.keySet()).get(i);
  }

  /**
   * The names (after rebinding) this atom needs from other atoms or the store: required arguments
   * not injected for it. Seals the atom.
   */
  public final Set<String> requires() {
    Map<String, String> m = argumentMapping();
    Set<String> out = new LinkedHashSet<>();
    for (String arg : required.keySet()) {
      String fetched = m.get(arg);
      if (!inject.containsKey(arg) && !inject.containsKey(fetched)) {
        out.add(fetched);
      }
    }
    return ArraySet.copyOf(out);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "('" + name + "')";
  }
}
