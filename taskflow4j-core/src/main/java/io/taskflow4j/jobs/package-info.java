/**
 * Jobboards: jobs posted for conductors to claim and run, with leases and fencing tokens. See
 * {@link io.taskflow4j.jobs.Jobboard}, {@link io.taskflow4j.jobs.Jobboards} and {@link
 * io.taskflow4j.jobs.Jobs} (posting a flow as a job).
 */
package io.taskflow4j.jobs;
