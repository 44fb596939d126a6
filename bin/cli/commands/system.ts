/** `keel system ping|df`: is the daemon there, and what does it store. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../help-text.js';
import { decimalSize } from '../human-units.js';
import { outputFormat, toJson } from '../output-format.js';
import { table } from '../table-writer.js';

type Json = Record<string, any>;

const sum = (items: Json[], size: (i: Json) => number | undefined): number => items.reduce((a, i) => a + Math.max(0, size(i) ?? 0), 0);

/** The rows of `keel system df` from `GET /system/df`. */
export function dfRows(df: Json): string[][] {
  const images = (df.Images ?? []) as Json[];
  const containers = (df.Containers ?? []) as Json[];
  const volumes = (df.Volumes ?? []) as Json[];
  const cache = (df.BuildCache ?? []) as Json[];
  // Layers shared by several images count once: the daemon's LayersSize says so, the sum would not.
  const imageSize = df.LayersSize || sum(images, (i) => i.Size);
  return [
    ['Images', String(images.length), decimalSize(imageSize)],
    ['Containers', String(containers.length), decimalSize(sum(containers, (c) => c.SizeRw))],
    ['Local Volumes', String(volumes.length), decimalSize(sum(volumes, (v) => v.UsageData?.Size))],
    ['Build Cache', String(cache.length), decimalSize(sum(cache, (b) => b.Size))],
  ];
}

/**
 * Names the server from `/_ping`'s `Server` header: keeld sends `Docker/keel-<v> (linux)` (docker
 * clients parse the `Docker/` prefix) or `keel/<v>`; a real dockerd sends `Docker/<v> (linux)`.
 */
export function serverLabel(value: string | string[] | undefined): string {
  const header = [value].flat()[0];
  if (!header) return 'unknown server';
  const keeld = /^(?:Docker\/keel-|keel\/)(\S+)/.exec(header);
  if (keeld) return `keeld ${keeld[1]}`;
  const dockerd = /^Docker\/(\S+)/.exec(header);
  return dockerd ? `dockerd ${dockerd[1]}` : header;
}

/** Registers `keel system …`. */
export function registerSystemCommands(program: Command, ctx: CliContext): void {
  const system = program.command('system').description('Daemon-wide commands: ping, df')
    .addHelpText('after', examples('keel system ping', 'keel system df'));

  system.command('ping')
    .description('Check that the daemon answers, and show the API version and server it reports. Exits 1 when it does not answer')
    .addHelpText('after', examples('keel system ping', 'keel -H tcp://127.0.0.1:2375 system ping && echo up'))
    .action(async () => {
      const res = await ctx.client().stream('GET', '/_ping', { unversioned: true });
      res.resume();
      ctx.out(`OK (API ${res.headers['api-version'] ?? '?'}, ${serverLabel(res.headers.server)})\n`);
    });

  system.command('df')
    .description('Show how much disk images, containers, volumes and build cache use')
    .option('--format <format>', 'json: the daemon\'s answer as is')
    .addHelpText('after', examples('keel system df', 'keel system df --format json'))
    .action(async (o: { format?: string }) => {
      const json = outputFormat(o.format) === 'json';
      const df = await ctx.client().json<Json>('GET', '/system/df');
      ctx.out(json ? toJson(df) : table(['TYPE', 'TOTAL', 'SIZE'], dfRows(df)));
    });
}
