/**
 * `@keel/sdk/oci-cli`: building blocks for runtime plugins whose runtime speaks runc's command
 * line (runc, crun …): {@link CliRuntime} and host probes.
 * @packageDocumentation
 */
export * from './cli-runtime.js';
export * from './probe.js';
export * from './start-runtime.js';
