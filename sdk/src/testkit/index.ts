/**
 * `@keel/sdk/testkit`: fakes of the core services, `startTestEngine()` to boot plugins without
 * the kernel, and (as driver issues land) one conformance suite per driver kind.
 * @packageDocumentation
 */
export * from './fakes.js';
export * from './fake-hooks.js';
export * from './fake-router.js';
export * from './test-engine.js';
export * from './storage-conformance.js';
export * from './runtime-conformance.js';
export * from './volume-conformance.js';
export * from './log-conformance.js';
export * from './network-conformance.js';
