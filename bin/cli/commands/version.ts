/** `keel version`: the client's version and the daemon's, like `docker version`. */
import os from 'node:os';
import type { Command } from 'commander';
import { goArch } from '@keel/sdk';
import { API_VERSION } from '../client.js';
import type { CliContext } from '../context.js';
import { examples, fields } from '../help-text.js';
import { outputFormat, toJson } from '../output-format.js';

type Json = Record<string, any>;

// docker prints Go's architecture names; Node's differ for the common ones.

/** The client half of `keel version`. */
export function clientVersion(version: string): Json {
  return { Version: version, ApiVersion: API_VERSION, NodeVersion: process.version, Os: os.platform(), Arch: goArch(os.arch()) };
}

/** The `Client:` block. */
export function formatClient(c: Json): string {
  return `Client:\n${fields(' ', [['Version', c.Version], ['API version', c.ApiVersion], ['Node version', c.NodeVersion], ['OS/Arch', `${c.Os}/${c.Arch}`]])}`;
}

/**
 * The `Server:` block from `GET /version`, laid out like docker's: the Engine from the top-level
 * fields, then every other component (containerd, runc, …) with its version and details.
 */
export function formatServer(v: Json): string {
  const engine = `\nServer: ${v.Platform?.Name || 'keel'}\n Engine:\n${fields('  ', [
    ['Version', v.Version], ['API version', `${v.ApiVersion} (minimum version ${v.MinAPIVersion})`], ['Runtime', v.GoVersion],
    ['Git commit', v.GitCommit], ['Built', v.BuildTime], ['OS/Arch', `${v.Os}/${v.Arch}`], ['Kernel version', v.KernelVersion],
    ['Experimental', v.Experimental ?? false],
  ])}`;
  const others = ((v.Components ?? []) as Json[]).filter((c) => c.Name !== 'Engine').map((c) => {
    const details = Object.keys(c.Details ?? {}).sort().map((k) => [k, c.Details[k]] as const);
    return ` ${c.Name}:\n${fields('  ', [['Version', c.Version], ...details])}`;
  });
  return engine + others.join('');
}

/** Registers `keel version`. */
export function registerVersionCommand(program: Command, ctx: CliContext): void {
  program.command('version')
    .description("Show the keel CLI's version and the daemon's (its API version and build)")
    .option('--format <format>', 'json: {"Client": …, "Server": …} for scripts')
    .addHelpText('after', examples('keel version', 'keel version --format json', 'keel -H unix:///tmp/keel.sock version'))
    .action(async (o: { format?: string }) => {
      const json = outputFormat(o.format) === 'json';
      const client = clientVersion(ctx.version);
      // Like docker: the client half is printed even when the daemon cannot be reached.
      if (!json) ctx.out(formatClient(client));
      let server: Json;
      try {
        server = await ctx.client().json<Json>('GET', '/version');
      } catch (err) {
        if (json) ctx.out(toJson({ Client: client, Server: null }));
        throw err;
      }
      ctx.out(json ? toJson({ Client: client, Server: server }) : formatServer(server));
    });
}
