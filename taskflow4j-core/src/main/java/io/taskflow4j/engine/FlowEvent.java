package io.taskflow4j.engine;

import io.taskflow4j.persistence.FlowState;

/**
 * A flow changed state (already recorded in the logbook when listeners hear of it).
 *
 * @param flowName the flow detail's name
 * @param flowUuid the flow detail's uuid
 * @param oldState the state before
 * @param state the new state
 */
public record FlowEvent(String flowName, String flowUuid, FlowState oldState, FlowState state) {}
