/**
 * Consistency checks of a store: {@link io.taskflow4j.verify.StoreVerifier} reads every logbook,
 * flow detail and atom detail and reports typed {@link io.taskflow4j.verify.Problem}s (errors, and
 * notes for leftovers the store tidies by itself) in a {@link io.taskflow4j.verify.Report}; {@link
 * io.taskflow4j.verify.RawStoreInspector}s add backend-specific checks; each backend registers its
 * own through {@link java.util.ServiceLoader}, so this package depends on no backend.
 */
package io.taskflow4j.verify;
