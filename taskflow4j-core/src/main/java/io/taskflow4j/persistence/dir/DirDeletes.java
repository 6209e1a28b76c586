package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFiles.linkNames;
import static io.taskflow4j.persistence.dir.DirFiles.readOrNull;
import static io.taskflow4j.persistence.dir.DirFormat.checkId;
import static io.taskflow4j.persistence.dir.DirFormat.header;
import static io.taskflow4j.persistence.dir.DirFormat.idProblem;
import static io.taskflow4j.persistence.dir.DirStore.BOOKS;
import static io.taskflow4j.persistence.dir.DirStore.FLOWS;
import static io.taskflow4j.persistence.dir.DirStore.K_PARENT;
import static io.taskflow4j.persistence.dir.DirStore.K_REVISION;
import static io.taskflow4j.persistence.dir.DirStore.METADATA;

import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.dir.DirFormat.Header;
import io.taskflow4j.persistence.dir.DirStore.Kind;
import io.taskflow4j.persistence.dir.DirWriter.ObjWrite;
import io.taskflow4j.persistence.dir.DirWriter.Txn;
import io.taskflow4j.persistence.spi.WriteRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deletes of a {@link DirStore}: of a book, of a book if it is empty, and of a flow detail.
 * Each runs under the store lock through {@link DirWriter#locked}, with the fence checked first,
 * and removes through the writer's steps ({@link DirWriter#moveToTrash}, {@link DirWriter#purge}):
 * the object is moved out to {@code .tmp/} at the commit point and removed there with what only it
 * owned.
 */
final class DirDeletes {
  private final DirWriter writer;
  private final DirFiles files;
  private final DirReader reader;
  private final Path books;
  private final Path flows;

  DirDeletes(DirStore store) {
    this.writer = store.writer;
    this.files = store.files;
    this.reader = store.reader;
    this.books = store.root().resolve(BOOKS);
    this.flows = store.root().resolve(FLOWS);
  }

  void destroyLogBook(String bookUuid, Fence fence) {
    checkId(bookUuid, Kind.BOOK);
    writer.locked(
        true,
        fence,
        "the deletion of logbook '" + bookUuid + "'",
        txn -> {
          Path dir = books.resolve(bookUuid);
          if (!Files.exists(dir.resolve(METADATA))) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          deleteBook(dir, bookUuid, txn);
          return null;
        });
  }

  /** Deletes a stored book with what only it owned (store lock held). */
  private void deleteBook(Path dir, String bookUuid, Txn txn) {
    // The commit point: one rename makes the book and its links disappear together.
    Path trash = writer.moveToTrash(dir, Kind.BOOK, txn);
    files.syncDir(books);
    writer.purge(trash, Kind.BOOK, bookUuid, txn);
    writer.syncDirs(txn);
  }

  /**
   * Deletes a book if it links no flow detail, under the store lock and TaskFlow's lock of the book
   * (so no flow is linked between the check and the delete); returns whether it did. A link whose
   * flow detail is gone counts for none, as readers skip it.
   */
  boolean destroyLogBookIfEmpty(String bookUuid, Fence fence) {
    checkId(bookUuid, Kind.BOOK);
    return writer.locked(
        true,
        fence,
        "the deletion of logbook '" + bookUuid + "' (if empty)",
        txn -> {
          Path dir = books.resolve(bookUuid);
          if (!Files.exists(dir.resolve(METADATA))) {
            return false;
          }
          writer.lockObjects(List.of(dir), txn);
          for (String f : linkNames(dir)) {
            if (idProblem(f) == null && Files.exists(flows.resolve(f).resolve(METADATA))) {
              return false;
            }
          }
          deleteBook(dir, bookUuid, txn);
          return true;
        });
  }

  /**
   * Deletes a flow detail and the atom details only it owned, if its stored revision is {@code
   * revision} ({@code 0}: whatever it is). In crash-safe steps, under the store lock and TaskFlow's
   * locks of the book and the flow:
   *
   * <ol>
   *   <li>a flow detail TaskFlow wrote (no {@code parent} key) first gets its book as {@code
   *       parent} (and its derived revision as {@code revision}, so its revision does not change):
   *       an atomic replacement, after which the sweep recognises it as an orphan once unlinked;
   *   <li>the commit point: its book's link to it is removed (fsynced), so no book refers to it,
   *       for TaskFlow as for our readers, which also refuse a flow whose {@code parent} does not
   *       link it;
   *   <li>its directory is moved out to {@code .tmp/} and removed with the atom details it owned,
   *       as a book's delete removes its flows.
   * </ol>
   *
   * A crash after step 2 leaves an unlinked flow detail (which the next sweep removes) or a trashed
   * one in {@code .tmp/} (which the sweep purges); never a link to a missing flow, which TaskFlow
   * could not read. A damaged record can be deleted unconditionally (its book is then found by its
   * link), not conditionally (its revision cannot be read).
   */
  void destroyFlowDetail(String flowUuid, long revision, Fence fence) {
    checkId(flowUuid, Kind.FLOW);
    writer.locked(
        true,
        fence,
        "the deletion of flow detail '" + flowUuid + "'",
        txn -> {
          Path fdDir = flows.resolve(flowUuid);
          Path file = fdDir.resolve(METADATA);
          byte[] raw = readOrNull(file);
          if (raw == null) {
            throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
          }
          Header h;
          try {
            h = header(file, raw);
          } catch (StorageException damaged) {
            if (revision > 0) {
              throw damaged;
            }
            h = null;
          }
          String book;
          if (h != null && h.parent() != null) {
            if (!reader.linkedFrom(Kind.BOOK, h.parent(), flowUuid)) {
              // An orphan that a cut write left: readers do not see it, nor may a delete.
              throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
            }
            book = h.parent();
          } else {
            book = bookLinking(flowUuid);
          }
          Path bookDir = book == null ? null : books.resolve(book);
          List<Path> objects = new ArrayList<>();
          if (bookDir != null) {
            objects.add(bookDir);
          }
          objects.add(fdDir);
          writer.lockObjects(objects, txn);
          // Read again under TaskFlow's locks: TaskFlow may have rewritten it meanwhile.
          raw = readOrNull(file);
          if (raw == null) {
            throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
          }
          if (h != null) {
            h = header(file, raw);
          }
          if (revision > 0) {
            WriteRules.checkRevision(WriteRules.Kind.FLOW, flowUuid, revision, h.revision());
          }
          if (h != null && h.parent() == null && book != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            DirFormat.parseMap(file, raw).forEach((k, v) -> m.put(String.valueOf(k), v));
            m.put(K_REVISION, h.revision());
            m.put(K_PARENT, book);
            writer.execute(
                List.of(new ObjWrite(Kind.FLOW, flowUuid, Json.writeBytes(m), false, List.of())),
                txn);
          }
          if (bookDir != null) {
            writer.unlink(bookDir.resolve(flowUuid), txn);
            writer.syncDirs(txn);
          }
          Path trash = writer.moveToTrash(fdDir, Kind.FLOW, txn);
          files.syncDir(flows);
          writer.purge(trash, Kind.FLOW, flowUuid, txn);
          writer.syncDirs(txn);
          return null;
        });
  }

  /** The book that links a flow detail (one without a {@code parent} key), or {@code null}. */
  private String bookLinking(String flowUuid) {
    for (String b : DirFiles.names(books)) {
      if (idProblem(b) == null && reader.linkedFrom(Kind.BOOK, b, flowUuid)) {
        return b;
      }
    }
    return null;
  }
}
