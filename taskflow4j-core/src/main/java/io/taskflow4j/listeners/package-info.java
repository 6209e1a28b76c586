/**
 * Ready-made engine listeners: logging (SLF4J), printing, durations and event times recorded in the
 * logbook's metadata, and capturing events as strings for tests.
 */
package io.taskflow4j.listeners;
