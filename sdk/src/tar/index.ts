/**
 * `@keel/sdk/tar`: tar for container layers — a streaming reader and writer that keep binary PAX
 * xattrs intact, and a safe extractor that applies Docker's whiteouts. Written for keel because
 * general-purpose tar libraries rewrite absolute symlinks and drop xattrs.
 * @packageDocumentation
 */
export * from './errors.js';
export type { TarEntryType, TarHeader } from './header.js';
export * from './reader.js';
export * from './writer.js';
export * from './secure-path.js';
export * from './extract.js';
