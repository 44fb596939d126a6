/**
 * `@keel/sdk`: everything a keel plugin author imports.
 *
 * - {@link definePlugin} and refs ({@link createServiceRef}, {@link coreServices}, {@link drivers})
 * - driver contracts (`StorageDriver`, `NetworkDriver`, `VolumeDriver`, `LogDriver`, `OciRuntime`)
 * - {@link EngineError} and its kinds, with the one table to HTTP statuses
 * - event and hook-set types, the HTTP routing surface for service plugins
 *
 * The testkit (conformance suites, fakes, `startTestEngine`) is at `@keel/sdk/testkit`.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './refs.js';
export * from './plugin.js';
export * from './services.js';
export * from './events.js';
export * from './hooks.js';
export * from './http.js';
export * from './graph.js';
export * from './version.js';
export * from './platform.js';
export * from './drivers/index.js';
export * from './text.js';
export * from './keyed-queue.js';
