package io.taskflow4j.cli;

import io.taskflow4j.persistence.BackendConf;

/**
 * Keeps secrets (passwords, tokens) out of every line the command prints, including quoted driver
 * messages and, with {@code --verbose}, stack traces: connection strings and other URL-like tokens
 * are masked as {@link BackendConf#mask} does, and {@code key=value} and JSON fields whose key
 * names a secret get {@code ***} as value ({@link BackendConf#maskText}).
 *
 * <p>A secret is never searched for by its value: replacing every occurrence of the password in a
 * line turned {@code "consistent":true} into invalid JSON for the password {@code true}, and {@code
 * RuntimeException} into {@code RuntimeE***ception} for the password {@code x}, telling the secret
 * by the gap it left.
 */
final class Secrets {
  private Secrets() {}

  /** {@code text} with the secrets it carries masked where they stand. */
  static String redact(String text) {
    return BackendConf.maskText(text);
  }
}
