/**
 * For authors of jobboards: the provider interface found through {@link java.util.ServiceLoader}.
 */
package io.taskflow4j.jobs.spi;
