package io.taskflow4j.verify;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.dir.DirBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The raw checks of a directory store ({@link DirBackend}): every child link ({@code
 * books/<book>/<flow>}, {@code flow_details/<flow>/<atom>}) points to an object directory that
 * holds a {@code metadata} file; every flow and atom directory is linked from some book or flow
 * (else it is an orphan, which readers skip and {@code upgrade()} removes); no temporary file is
 * left in {@code .tmp/} or inside an object directory. Reads the directory only.
 */
final class DirStoreInspector implements RawStoreInspector {
  private static final String BOOKS = "books";
  private static final String FLOWS = "flow_details";
  private static final String ATOMS = "atom_details";
  private static final String STAGING = ".tmp";
  private static final String METADATA = "metadata";
  private static final String OBJECT_LOCK = "lock";

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
              new Problem(
                  Problem.Kind.LEFTOVER,
                  "file " + root.relativize(p),
                  "left by an interrupted write; the next upgrade() removes it"));
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
        if (child.equals(METADATA) || child.equals(OBJECT_LOCK)) {
          continue;
        }
        if (child.startsWith(".")) {
          problems.add(
              new Problem(
                  Problem.Kind.LEFTOVER,
                  parentKind + " " + name,
                  "temporary file '" + child + "' inside the object; upgrade() removes it"));
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
      if (name.startsWith(".")) {
        continue;
      }
      if (!linked.contains(name)) {
        problems.add(
            new Problem(
                Problem.Kind.ORPHAN,
                kind + " " + name,
                "no " + parentKind + " links it, so it can never be read; upgrade() removes it"));
      }
    }
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
