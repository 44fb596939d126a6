/**
 * `@keel/sdk/layers`: helpers for storage-driver authors — walking layer trees, detecting changes
 * with Docker's kinds, and exporting them as layer tars with `.wh.` whiteouts.
 * @packageDocumentation
 */
export * from './tree.js';
export * from './changes.js';
export * from './export.js';
export * from './layer-id.js';
