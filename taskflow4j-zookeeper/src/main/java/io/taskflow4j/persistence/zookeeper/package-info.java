/**
 * The ZooKeeper backend and jobboard, in TaskFlow's znode layout, opened by connection string with
 * {@code Backends.open} and {@code Jobboards.open}. API: {@link
 * io.taskflow4j.persistence.zookeeper.ZkBackend} and the exceptions {@code ZkAccessDeniedException}
 * and {@code ZkValueTooLargeException}.
 *
 * <p>Not API, public only for lack of a module boundary: {@code ZkBackendProvider}, {@code
 * ZkJobboardProvider} and {@code ZkOrphanInspector} (instantiated by {@link
 * java.util.ServiceLoader}), and {@code ZkWriteHook}, a seam for crash tests that may change in any
 * release.
 */
package io.taskflow4j.persistence.zookeeper;
