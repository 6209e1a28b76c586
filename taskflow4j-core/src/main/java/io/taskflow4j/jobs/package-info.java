/**
 * Jobboards: jobs posted for conductors to claim and run, with leases and fencing tokens. See
 * {@link io.taskflow4j.jobs.Jobboard}, {@link io.taskflow4j.jobs.Jobboards} and {@link
 * io.taskflow4j.conductor.FlowJobs} (posting a flow as a job).
 *
 * <p>Every board is opened with {@link io.taskflow4j.jobs.Jobboards#open}, which finds it by the
 * connection string's scheme through {@link io.taskflow4j.jobs.spi.JobboardProvider}. The API is
 * {@code Jobboard}, {@code Jobboards}, {@code Job}, {@code JobSpec}, {@code JobPriority}, {@code
 * JobEvent}, {@code Claim}, {@code OwnerId}, {@code BookRef} and {@code ConductorInfo}; {@link
 * io.taskflow4j.jobs.AbstractJobboard} is the base for board authors (with the SPI), and {@link
 * io.taskflow4j.jobs.MemoryJobboard} is public for tests that move its clock themselves.
 *
 * <p>Not API, public only because {@link java.util.ServiceLoader} instantiates them: {@code
 * FileJobboardProvider} and {@code MemoryJobboardProvider}. The file board itself ({@code dir://},
 * {@code file://}) is package-private: open it through {@code Jobboards.open}.
 */
package io.taskflow4j.jobs;
