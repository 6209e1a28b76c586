package io.taskflow4j.persistence.jdbc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted for one test, to fill a disk or make a file system read-only for real.
 * Mounting needs root (and a container that allows it): otherwise the test is skipped, saying so.
 */
public final class TinyFileSystem implements AutoCloseable {
  private final Path at;

  private TinyFileSystem(Path at) {
    this.at = at;
  }

  /** Mounts a tmpfs of {@code size} (e.g. {@code "64k"}) on the directory {@code at}, made here. */
  public static TinyFileSystem mount(Path at, String size) throws Exception {
    Files.createDirectories(at);
    boolean root = ((Integer) Files.getAttribute(at, "unix:uid")) == 0;
    Assumptions.assumeTrue(
        root, "mounting a small file system needs root; this test runs only as root");
    String failed = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString());
    Assumptions.assumeTrue(
        failed == null, "could not mount a tmpfs (" + failed + "); this test needs to");
    return new TinyFileSystem(at);
  }

  /** The mount point. */
  public Path path() {
    return at;
  }

  /** Makes the file system read-only, as a read-only mount of a backup is. */
  public void remountReadOnly() throws Exception {
    String failed = run("mount", "-o", "remount,ro", at.toString());
    if (failed != null) {
      throw new IOException("could not remount " + at + " read-only: " + failed);
    }
  }

  @Override
  public void close() throws Exception {
    // Lazily, so a file a failed test left open does not keep the mount.
    String failed = run("umount", "-l", at.toString());
    if (failed != null) {
      throw new IOException("could not unmount " + at + ": " + failed);
    }
  }

  /** Runs a command; its output when it fails, else {@code null}. */
  private static String run(String... cmd) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.getMessage();
    }
    p.getOutputStream().close();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return String.join(" ", cmd) + " did not finish within 30 s";
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
  }
}
