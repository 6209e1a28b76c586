package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine reaches persistence only through {@code Storage}: apart from {@link Engines}, where
 * the builder's backend, connection and logbook are turned into a way to open storage, no engine
 * class may name {@code Connection}, {@code Backend} or {@code LogBook}. Checked twice: in the
 * sources (what a reviewer sees) and in the compiled classes' constant pools (which also catch a
 * use that names no type, such as calling a method that returns a connection).
 */
class EngineLayeringTest {
  private static final String PERSISTENCE = "io.taskflow4j.persistence";
  private static final List<String> FORBIDDEN = List.of("Connection", "Backend", "LogBook");
  private static final String ALLOWED = "Engines";

  @Test
  void noEngineSourceButEnginesNamesConnectionBackendOrLogBook() throws IOException {
    Pattern named =
        Pattern.compile(
            Pattern.quote(PERSISTENCE)
                + "\\.(\\*|"
                + String.join("|", FORBIDDEN)
                + ")(?![A-Za-z0-9_$])");
    List<String> offences = new ArrayList<>();
    Path sources = moduleDir().resolve("src/main/java/io/taskflow4j/engine");
    assertThat(sources).isDirectory();
    try (Stream<Path> files = Files.list(sources)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.equals(ALLOWED + ".java")) {
          continue;
        }
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = named.matcher(lines.get(i));
          if (m.find()) {
            offences.add(name + ":" + (i + 1) + ": " + lines.get(i).trim());
          }
        }
      }
    }
    assertThat(offences)
        .as("engine classes other than Engines must reach persistence through Storage")
        .isEmpty();
  }

  @Test
  void noCompiledEngineClassButEnginesRefersToConnectionBackendOrLogBook()
      throws IOException, URISyntaxException {
    Pattern referred =
        Pattern.compile(
            Pattern.quote(PERSISTENCE.replace('.', '/'))
                + "/("
                + String.join("|", FORBIDDEN)
                + ")(?![A-Za-z0-9_$])");
    Path classes = Path.of(Engine.class.getResource("Engine.class").toURI()).getParent();
    List<String> offences = new ArrayList<>();
    int checked = 0;
    try (Stream<Path> files = Files.list(classes)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.equals(ALLOWED + ".class") || name.startsWith(ALLOWED + "$")) {
          continue;
        }
        checked++;
        // Latin-1 maps each byte to one char, so the constant pool's UTF-8 class names (all
        // ASCII here) can be searched as text.
        String pool = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        Matcher m = referred.matcher(pool);
        while (m.find()) {
          offences.add(name + " refers to " + m.group());
        }
      }
    }
    assertThat(checked).as("compiled engine classes checked").isGreaterThan(10);
    assertThat(offences)
        .as("engine classes other than Engines must reach persistence through Storage")
        .isEmpty();
  }

  /** The module's directory: the working directory of a Maven test run, else from the classes. */
  private static Path moduleDir() {
    Path cwd = Path.of("").toAbsolutePath();
    if (Files.isDirectory(cwd.resolve("src/main/java/io/taskflow4j/engine"))) {
      return cwd;
    }
    try {
      // target/classes -> the module
      Path classes =
          Path.of(Engine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return classes.getParent().getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
