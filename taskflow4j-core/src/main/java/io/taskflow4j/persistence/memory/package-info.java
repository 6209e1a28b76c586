/**
 * The memory backend ({@code memory://}): logbooks in this JVM's memory, for tests and engines that
 * share a backend object. {@link io.taskflow4j.persistence.memory.MemoryBackend} is the API; {@code
 * MemoryBackendProvider} is public only because {@link java.util.ServiceLoader} instantiates it.
 */
package io.taskflow4j.persistence.memory;
