/**
 * `@keel/sdk/layers`: helpers for storage-driver authors — walking layer trees, detecting changes
 * with Docker's kinds, layer ids and usage (layer tars are packed with `@keel/sdk/tar`).
 * @packageDocumentation
 */
export * from './tree.js';
export * from './changes.js';
export * from './layer-id.js';
