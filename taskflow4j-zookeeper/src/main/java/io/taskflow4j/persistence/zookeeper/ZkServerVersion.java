package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.IncompatibleVersionException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server version check of {@code validate()}, as TaskFlow's ({@code MIN_ZK_VERSION = 3.4.0}:
 * the first release with multi-operation transactions). The version is asked with the {@code srvr}
 * four-letter command, which ZooKeeper allows by default; a server that does not answer it is
 * checked by the multi-operation probe of {@code validate()} alone.
 */
final class ZkServerVersion {
  private static final Logger LOG = LoggerFactory.getLogger(ZkServerVersion.class);

  /** The oldest server this backend works with. */
  static final int[] MINIMUM = {3, 4, 0};

  private static final Pattern VERSION =
      Pattern.compile("Zookeeper version: (\\d+)\\.(\\d+)\\.(\\d+)");

  private ZkServerVersion() {}

  /**
   * Asks each configured server for its version; fails when one that answers is too old.
   *
   * @throws IncompatibleVersionException naming the server and its version
   */
  static void check(ZkSettings settings) {
    for (String host : settings.hosts()) {
      int[] v = ask(host, Math.min(settings.connectionTimeoutMs(), 3_000));
      if (v == null) {
        continue;
      }
      if (!atLeast(v, MINIMUM)) {
        throw new IncompatibleVersionException(
            "ZooKeeper server "
                + host
                + " runs version "
                + v[0]
                + "."
                + v[1]
                + "."
                + v[2]
                + "; this backend needs 3.4.0 or newer (multi-operation transactions)");
      }
    }
  }

  static boolean atLeast(int[] v, int[] min) {
    for (int i = 0; i < 3; i++) {
      if (v[i] != min[i]) {
        return v[i] > min[i];
      }
    }
    return true;
  }

  /** The version in a {@code srvr} reply, or {@code null}. */
  static int[] parse(String reply) {
    Matcher m = VERSION.matcher(reply);
    if (!m.find()) {
      return null;
    }
    return new int[] {
      Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))
    };
  }

  /** The version a server tells with {@code srvr}, or {@code null}. */
  static int[] ask(String host, int timeoutMs) {
    int colon = host.lastIndexOf(':');
    String name = host.substring(0, colon);
    if (name.startsWith("[") && name.endsWith("]")) {
      name = name.substring(1, name.length() - 1);
    }
    int port = Integer.parseInt(host.substring(colon + 1));
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(name, port), timeoutMs);
      s.setSoTimeout(timeoutMs);
      OutputStream out = s.getOutputStream();
      out.write("srvr".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream reply = new ByteArrayOutputStream();
      byte[] buf = new byte[1024];
      int n;
      while (reply.size() < 16_384 && (n = in.read(buf)) > 0) {
        reply.write(buf, 0, n);
      }
      int[] v = parse(reply.toString(StandardCharsets.UTF_8));
      if (v == null) {
        LOG.debug("server {} did not tell its version (srvr not allowed?)", host);
      }
      return v;
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not ask server {} for its version: {}", host, e.toString());
      return null;
    }
  }
}
