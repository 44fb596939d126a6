/**
 * `@keel/sdk/logging`: building blocks for log drivers — Docker's option parsing and tag
 * templates, a batched rotating file with readers and followers ({@link FileLogDriver} makes a
 * whole file-based driver from a codec), and a bounded reconnecting stream sender for network
 * drivers.
 * @packageDocumentation
 */
export * from './log-options.js';
export * from './rotating-log.js';
export * from './log-reader.js';
export * from './file-log-driver.js';
export * from './stream-sender.js';
