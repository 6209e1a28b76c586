package io.taskflow4j.persistence;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where {@link BackendConf} finds the secrets in a connection string or in free text (a driver's
 * message, a stack trace) and masks them: by their place (a URL's password, a parameter or field
 * whose key names a secret), never by their value.
 */
final class Secrets {
  private Secrets() {}

  /** Key fragments that mark a value as secret (matched in lower case, anywhere in the key). */
  private static final List<String> SECRET_FRAGMENTS =
      List.of(
          "pass",
          "pwd",
          "secret",
          "token",
          "credential",
          "private",
          "apikey",
          "api_key",
          "api-key");

  /** Whole keys that are secret although they hold none of the fragments. */
  private static final Set<String> SECRET_KEYS = Set.of("auth", "authorization", "key");

  /** {@code scheme://}, possibly behind other schemes ({@code jdbc:mysql:loadbalance://}). */
  private static final Pattern SCHEME_CHAIN = Pattern.compile("^(?:[A-Za-z][A-Za-z0-9+.\\-]*:)+//");

  /** Oracle's {@code jdbc:oracle:thin:user/password@host}: group 1 is the password. */
  private static final Pattern ORACLE_USER_PASSWORD =
      Pattern.compile("^jdbc:oracle:[A-Za-z0-9]+:[^/@:]*/([^@]*)@", Pattern.CASE_INSENSITIVE);

  /**
   * A parameter of a connection string: after {@code ?} or {@code &} (a query, up to the next
   * {@code &} or {@code #}), after {@code ;} (driver properties, up to the next {@code ;}) or in
   * parentheses ({@code (password=p)}). Groups: key, value.
   */
  private static final Pattern PARAMETER =
      Pattern.compile(
          "(?<=[?&])([^=&#?;]+)=([^&#]*)|(?<=;)([^=;&#?]+)=([^;&#]*)|(?<=\\()([^=()]+)=([^)]*)");

  /** A URL-like token in free text: one or more schemes, then {@code //} or Oracle's form. */
  private static final Pattern URL_TOKEN =
      Pattern.compile(
          "(?<![A-Za-z0-9+.\\-])(?:[A-Za-z][A-Za-z0-9+.\\-]*:)+//[^\\s\"'<>`]+"
              + "|(?<![A-Za-z0-9+.\\-])jdbc:oracle:[A-Za-z0-9]+:[^\\s\"'<>`]+",
          Pattern.CASE_INSENSITIVE);

  /**
   * {@code key=value} in free text whose key names a secret. Groups: key, value (a quoted string,
   * or up to a separator, a quote or a backslash, so masking never breaks the quoting of JSON
   * around it).
   */
  private static final Pattern KEY_VALUE =
      Pattern.compile(
          "(?<![A-Za-z0-9_.\\-])([A-Za-z][A-Za-z0-9_.\\-]*)\\s*=\\s*"
              + "(\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|[^\\s,;&)}\\]\"'\\\\]*)");

  /** A JSON (or Python dict) field whose key names a secret, with a string value. */
  private static final Pattern QUOTED_FIELD =
      Pattern.compile(
          "([\"'])([A-Za-z][A-Za-z0-9_.\\-]*)\\1\\s*:\\s*"
              + "(\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*')");

  static String mask(String connection) {
    if (connection == null) {
      return null;
    }
    String out = connection;
    Matcher chain = SCHEME_CHAIN.matcher(out);
    if (chain.find()) {
      int start = chain.end(); // after "scheme[:sub...]://"
      int authorityEnd = start;
      while (authorityEnd < out.length() && "/?#".indexOf(out.charAt(authorityEnd)) < 0) {
        authorityEnd++;
      }
      int atInAuthority = out.lastIndexOf('@', authorityEnd - 1);
      int colon = out.indexOf(':', start);
      if (atInAuthority >= start) {
        // user:password@host, the way mergeAuthority reads it
        if (colon >= 0 && colon < atInAuthority) {
          out = out.substring(0, colon + 1) + "***" + out.substring(atInAuthority);
        }
      } else {
        int lastAt = out.lastIndexOf('@');
        if (lastAt > authorityEnd
            && colon >= 0
            && colon < authorityEnd
            && !isDigits(out.substring(colon + 1, authorityEnd))) {
          // "user:pa/ss@host": an unencoded password that cut the authority short
          out = out.substring(0, colon + 1) + "***" + out.substring(lastAt);
        }
      }
    } else {
      Matcher oracle = ORACLE_USER_PASSWORD.matcher(out);
      if (oracle.find()) {
        out = out.substring(0, oracle.start(1)) + "***" + out.substring(oracle.end(1));
      }
    }
    return maskParameters(out);
  }

  private static boolean isDigits(String s) {
    return !s.isEmpty() && s.chars().allMatch(ch -> ch >= '0' && ch <= '9');
  }

  private static String maskParameters(String connection) {
    if (connection.indexOf('=') < 0) {
      return connection;
    }
    Matcher m = PARAMETER.matcher(connection);
    StringBuilder sb = new StringBuilder(connection.length());
    int last = 0;
    while (m.find()) {
      int g = m.group(1) != null ? 1 : m.group(3) != null ? 3 : 5;
      if (isSecret(lenientDecode(m.group(g)).strip())) {
        sb.append(connection, last, m.start(g + 1)).append("***");
        last = m.end(g + 1);
      }
    }
    return sb.append(connection, last, connection.length()).toString();
  }

  private static String lenientDecode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  static String maskText(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    if (out.indexOf(':') >= 0) {
      out = replaceAll(URL_TOKEN, out, m -> mask(m.group()));
    }
    if (out.indexOf('=') >= 0) {
      out =
          replaceAll(
              KEY_VALUE,
              out,
              m -> {
                if (!isSecret(m.group(1)) || m.group(2).equals("***")) {
                  return m.group();
                }
                return m.group().substring(0, m.start(2) - m.start()) + quoteLike(m.group(2));
              });
    }
    if (out.indexOf(':') >= 0) {
      out =
          replaceAll(
              QUOTED_FIELD,
              out,
              m -> {
                if (!isSecret(m.group(2))) {
                  return m.group();
                }
                return m.group().substring(0, m.start(3) - m.start()) + quoteLike(m.group(3));
              });
    }
    return out;
  }

  /** {@code ***} in the quotes {@code value} has, if any. */
  private static String quoteLike(String value) {
    if (value.length() >= 2 && (value.startsWith("\"") || value.startsWith("'"))) {
      char q = value.charAt(0);
      return q + "***" + q;
    }
    return value.isEmpty() ? value : "***";
  }

  private static String replaceAll(
      Pattern p, String text, java.util.function.Function<Matcher, String> with) {
    Matcher m = p.matcher(text);
    StringBuilder sb = new StringBuilder(text.length());
    int last = 0;
    while (m.find()) {
      sb.append(text, last, m.start()).append(with.apply(m));
      last = m.end();
    }
    return last == 0 ? text : sb.append(text, last, text.length()).toString();
  }

  static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    if (SECRET_KEYS.contains(k)) {
      return true;
    }
    for (String f : SECRET_FRAGMENTS) {
      if (k.contains(f)) {
        return true;
      }
    }
    return false;
  }
}
