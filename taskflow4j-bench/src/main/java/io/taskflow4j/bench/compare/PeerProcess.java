package io.taskflow4j.bench.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a peer (TaskFlow's Python script, or Spring Batch in its own JVM) as a child process with a
 * time limit, and reads the JSON object it prints last on standard output.
 */
final class PeerProcess {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PeerProcess() {}

  /** What a peer printed, or why it gave nothing. */
  record Outcome(JsonNode json, String error) {
    List<Double> doubles(String field) {
      List<Double> out = new ArrayList<>();
      if (json != null && json.has(field)) {
        json.get(field).forEach(v -> out.add(v.asDouble()));
      }
      return out;
    }

    String text(String field) {
      return json != null && json.hasNonNull(field) ? json.get(field).asText() : "";
    }
  }

  /** Runs {@code command} in {@code dir} for at most {@code timeoutSeconds}. */
  static Outcome run(List<String> command, Path dir, double timeoutSeconds) {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    Path err = dir.resolve("peer-stderr.txt");
    pb.redirectError(err.toFile());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Outcome(null, "cannot start " + command.get(0) + ": " + e.getMessage());
    }
    CompletableFuture<String> stdout =
        CompletableFuture.supplyAsync(
            () -> {
              try (InputStream in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return "";
              }
            });
    try {
      if (!p.waitFor((long) (timeoutSeconds * 1000), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return new Outcome(
            null, String.format("stopped after %.0f s (time limit)", timeoutSeconds));
      }
      String out = stdout.get(10, TimeUnit.SECONDS);
      String last = lastJsonLine(out);
      if (p.exitValue() != 0 || last == null) {
        return new Outcome(null, "exit " + p.exitValue() + ": " + lastLine(err));
      }
      return new Outcome(JSON.readTree(last), "");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      return new Outcome(null, "interrupted");
    } catch (Exception e) {
      return new Outcome(null, "unreadable output: " + e.getMessage());
    }
  }

  private static String lastJsonLine(String out) {
    String[] lines = out.split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      if (lines[i].strip().startsWith("{")) {
        return lines[i].strip();
      }
    }
    return null;
  }

  private static String lastLine(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          String l = lines.get(i).strip();
          return l.length() > 300 ? l.substring(0, 300) + "..." : l;
        }
      }
      return "(no error output)";
    } catch (IOException e) {
      return "(no error output)";
    }
  }
}
