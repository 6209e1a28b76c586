/**
 * Implementation helpers shared by taskflow4j's packages. Not an API: these classes may change or
 * disappear in any release.
 */
package io.taskflow4j.internal;
