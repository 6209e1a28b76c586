package io.taskflow4j.cli;

import io.taskflow4j.persistence.BackendConf;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The secrets (passwords, tokens) given on a command line, to keep them out of every line the
 * command prints, including quoted driver messages and, with {@code --verbose}, stack traces.
 */
final class Secrets {
  private final List<String> secrets;

  private Secrets(List<String> secrets) {
    this.secrets = secrets;
  }

  /** The secrets found in the connection strings among {@code args}. */
  static Secrets fromArgs(String[] args) {
    List<String> found = new ArrayList<>();
    for (String arg : args) {
      if (arg == null) {
        continue;
      }
      String value = arg;
      if (arg.startsWith("--") && arg.indexOf('=') > 0) {
        value = arg.substring(arg.indexOf('=') + 1);
      }
      if (value.indexOf(':') < 0) {
        continue;
      }
      try {
        for (Map.Entry<String, Object> e : BackendConf.parse(value).asMap().entrySet()) {
          if (e.getValue() != null && isSecretKey(e.getKey())) {
            String s = String.valueOf(e.getValue());
            if (!s.isEmpty() && !found.contains(s)) {
              found.add(s);
            }
          }
        }
      } catch (RuntimeException notAConnection) {
        // not a connection string: nothing secret to collect
      }
    }
    // longest first, so a secret containing another is replaced whole
    found.sort(Comparator.comparingInt(String::length).reversed());
    return new Secrets(List.copyOf(found));
  }

  private static boolean isSecretKey(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password")
        || k.contains("passwd")
        || k.contains("secret")
        || k.contains("token")
        || k.equals("auth");
  }

  /** {@code text} with every secret replaced by {@code ***}. */
  String redact(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String s : secrets) {
      out = out.replace(s, "***");
    }
    return out;
  }
}
