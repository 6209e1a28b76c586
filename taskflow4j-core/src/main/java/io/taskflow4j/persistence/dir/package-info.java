/**
 * The directory backend ({@code dir://}, {@code file://}): logbooks as files in TaskFlow's layout.
 * Open it with {@code Backends.open}; {@link io.taskflow4j.persistence.dir.DirBackend} (and its
 * builder) is the API.
 *
 * <p>Not API, public only for lack of a module boundary: {@code DirBackendProvider} and {@code
 * DirStoreInspector} (instantiated by {@link java.util.ServiceLoader}), and {@code DirWriteHook}, a
 * seam for crash tests and fsync counting that may change in any release.
 */
package io.taskflow4j.persistence.dir;
