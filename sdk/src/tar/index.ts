/**
 * `@keel/sdk/tar`: tar for container layers — a streaming reader and writer that keep binary PAX
 * xattrs intact, a safe extractor that applies Docker's whiteouts, a deterministic directory
 * packer and streaming digests. Written for keel because general-purpose tar libraries rewrite
 * absolute symlinks, drop xattrs and device nodes, or decode binary PAX values as text.
 * @packageDocumentation
 */
export * from './errors.js';
export type { TarEntryType, TarHeader } from './header.js';
export * from './reader.js';
export * from './compression.js';
export * from './writer.js';
export { cleanEntryPath, InRootResolver, type ResolvedDir } from './secure-path.js';
export * from './extract.js';
export { OPAQUE_MARKER, WHITEOUT_PREFIX } from './whiteout.js';
export { isValidXattrName, readXattrTree, setXattrs, type XattrItem } from './xattr.js';
export * from './pack.js';
export * from './digest.js';
