package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.RawStoreInspector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The raw checks of a directory store ({@link DirBackend}) for {@link
 * io.taskflow4j.verify.StoreVerifier}, registered like every backend's through {@link
 * java.util.ServiceLoader}: every child link ({@code books/<book>/<flow>}, {@code
 * flow_details/<flow>/<atom>}) points to an object directory that holds a {@code metadata} file;
 * every flow and atom directory is linked from some book or flow. Reads the directory only.
 *
 * <p>What an interrupted write of this library leaves is a {@link Problem.Kind#LEFTOVER}, a note:
 * temporaries in {@code .tmp/} (and, from earlier builds, inside object directories), and objects
 * put in place but not linked yet (their {@code parent} key names an owner that does not link
 * them). Readers skip them, and the next write, or {@code upgrade()}, removes them under the
 * store's write lock, when no write is half-way. An unlinked object without an owner key (TaskFlow
 * records none) is an {@link Problem.Kind#ORPHAN}: nothing removes it by itself.
 */
public final class DirStoreInspector implements RawStoreInspector {
  private static final String BOOKS = "books";
  private static final String FLOWS = "flow_details";
  private static final String ATOMS = "atom_details";
  private static final String STAGING = ".tmp";
  private static final String METADATA = "metadata";
  private static final String OBJECT_LOCK = "lock";
  private static final String PARENT = "parent";
  private static final String LEFT_BY_A_WRITE =
      "left by an interrupted write; readers skip it, and the next write or upgrade() removes it";

  /** Made by {@link java.util.ServiceLoader}. */
  public DirStoreInspector() {}

  @Override
  public boolean supports(Backend backend) {
    return backend instanceof DirBackend;
  }

  @Override
  public List<Problem> inspect(Backend backend) {
    Path root = ((DirBackend) backend).path();
    List<Problem> problems = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return problems; // an empty store: nothing written yet
    }
    try {
      Set<String> linkedFlows = new HashSet<>();
      Set<String> linkedAtoms = new HashSet<>();
      scanParents(root.resolve(BOOKS), root.resolve(FLOWS), "logbook", linkedFlows, problems);
      scanParents(root.resolve(FLOWS), root.resolve(ATOMS), "flow detail", linkedAtoms, problems);
      orphans(root.resolve(FLOWS), "flow detail", "logbook", linkedFlows, problems);
      orphans(root.resolve(ATOMS), "atom detail", "flow detail", linkedAtoms, problems);
      Path staging = root.resolve(STAGING);
      if (Files.isDirectory(staging)) {
        for (Path p : list(staging)) {
          problems.add(
              new Problem(Problem.Kind.LEFTOVER, "file " + root.relativize(p), LEFT_BY_A_WRITE));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the store directory " + root, e);
    }
    return problems;
  }

  /** Checks each parent's metadata and child links; collects the uuids linked. */
  private static void scanParents(
      Path parents, Path children, String parentKind, Set<String> linked, List<Problem> problems)
      throws IOException {
    if (!Files.isDirectory(parents)) {
      return;
    }
    for (Path parent : list(parents)) {
      String name = parent.getFileName().toString();
      if (name.startsWith(".")) {
        continue; // a temporary name, which readers skip
      }
      if (!Files.isRegularFile(parent.resolve(METADATA))) {
        problems.add(
            new Problem(
                Problem.Kind.UNREADABLE,
                parentKind + " " + name,
                "its directory has no metadata file"));
      }
      for (Path entry : list(parent)) {
        String child = entry.getFileName().toString();
        if (child.equals(METADATA)
            || child.equals(OBJECT_LOCK)
            || child.equals(AtomMarker.MARKER)) {
          continue;
        }
        if (child.startsWith(".")) {
          problems.add(
              new Problem(
                  Problem.Kind.LEFTOVER,
                  parentKind + " " + name,
                  "temporary file '" + child + "' inside the object, " + LEFT_BY_A_WRITE));
          continue;
        }
        if (!Files.isSymbolicLink(entry)) {
          problems.add(
              new Problem(
                  Problem.Kind.UNREADABLE,
                  parentKind + " " + name,
                  "'" + child + "' is neither its metadata nor a link to a child"));
          continue;
        }
        Path target = children.resolve(child);
        if (!Files.isRegularFile(target.resolve(METADATA), LinkOption.NOFOLLOW_LINKS)) {
          problems.add(
              new Problem(
                  Problem.Kind.DANGLING_LINK,
                  parentKind + " " + name,
                  "links child " + child + ", which has no object (or no metadata) in the store"));
          continue;
        }
        if (!linked.add(child)) {
          problems.add(
              new Problem(
                  Problem.Kind.DUPLICATE,
                  parentKind + " " + name,
                  "links child " + child + ", which another " + parentKind + " links too"));
        }
      }
    }
  }

  private static void orphans(
      Path dir, String kind, String parentKind, Set<String> linked, List<Problem> problems)
      throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    for (Path p : list(dir)) {
      String name = p.getFileName().toString();
      if (name.startsWith(".") || linked.contains(name)) {
        continue;
      }
      String owner = owner(p.resolve(METADATA));
      if (owner != null) {
        problems.add(
            new Problem(
                Problem.Kind.LEFTOVER,
                kind + " " + name,
                "put in place by a write that was interrupted before "
                    + parentKind
                    + " "
                    + owner
                    + " linked it; readers skip it, and the next write or upgrade() removes it"));
      } else {
        problems.add(
            new Problem(
                Problem.Kind.ORPHAN,
                kind + " " + name,
                "no "
                    + parentKind
                    + " links it, so it can never be read; it records no owner (TaskFlow's"
                    + " records do not), so nothing removes it by itself: delete "
                    + p
                    + " if nothing needs it"));
      }
    }
  }

  /** The owner an object records ({@code parent}), or {@code null}: none, or unreadable. */
  private static String owner(Path metadata) {
    try {
      if (Json.read(Files.readAllBytes(metadata)) instanceof Map<?, ?> m
          && m.get(PARENT) instanceof String s
          && !s.isEmpty()) {
        return s;
      }
    } catch (IOException | IllegalArgumentException e) {
      // No readable owner: not known to be ours.
    }
    return null;
  }

  private static List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        out.add(p);
      }
    }
    out.sort(null);
    return out;
  }
}
