package io.taskflow4j.internal;

import java.net.InetAddress;

/**
 * Who this process is, for records that say where something ran or who holds a claim: the host name
 * (looked up once; a failing lookup gives {@code "localhost"} rather than an error, since a name is
 * only ever informative) and the process id.
 */
public final class HostIdentity {
  private static volatile String hostName;

  private HostIdentity() {}

  /** This machine's host name, or {@code "localhost"} when it cannot be found. */
  public static String hostName() {
    String h = hostName;
    if (h == null) {
      h = lookUp();
      hostName = h;
    }
    return h;
  }

  /** This process's id. */
  public static long pid() {
    return ProcessHandle.current().pid();
  }

  private static String lookUp() {
    try {
      String h = InetAddress.getLocalHost().getHostName();
      return h == null || h.isBlank() ? "localhost" : h;
    } catch (Exception | LinkageError e) {
      return "localhost";
    }
  }
}
