/** `keel version`, `keel info`, `keel events`, `keel system ping|df`. */
import os from 'node:os';
import type { Command } from 'commander';
import { jsonLines } from '../client.js';
import { collect, type CliContext } from '../context.js';
import { binarySize, decimalSize, encodeFilters, parseTimeArg, table } from '../format.js';

type Json = Record<string, any>;

function clientPart(ctx: CliContext): string {
  return `Client:\n Version:     ${ctx.version}\n Node:        ${process.version}\n OS/Arch:     ${os.platform()}/${os.arch()}\n`;
}

/** One event as `docker events` prints it. */
export function formatEvent(e: Json): string {
  // timeNano exceeds 2^53: go through microseconds so float noise never shows.
  const ns = BigInt(Math.round((e.timeNano ?? (e.time ?? 0) * 1e9) / 1e3)) * 1000n;
  const iso = new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, `.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`);
  const attrs = Object.entries((e.Actor?.Attributes ?? {}) as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  return `${iso} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

/** The server part of `keel info`. */
export function formatInfo(i: Json): string {
  const lines = [
    'Server:',
    ` Containers: ${i.Containers}`, `  Running: ${i.ContainersRunning}`, `  Paused: ${i.ContainersPaused}`, `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`, ` Server Version: ${i.ServerVersion}`, ` Storage Driver: ${i.Driver || '(none)'}`,
    ...((i.DriverStatus ?? []) as string[][]).map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver || '(none)'}`, ` Cgroup Driver: ${i.CgroupDriver}`, ` Cgroup Version: ${i.CgroupVersion}`,
    ' Plugins:', `  Volume: ${(i.Plugins?.Volume ?? []).join(' ')}`, `  Network: ${(i.Plugins?.Network ?? []).join(' ')}`, `  Log: ${(i.Plugins?.Log ?? []).join(' ')}`,
    ` Runtimes: ${Object.keys(i.Runtimes ?? {}).join(' ')}`, ` Default Runtime: ${i.DefaultRuntime || '(none)'}`,
    ` Kernel Version: ${i.KernelVersion}`, ` Operating System: ${i.OperatingSystem}`, ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`, ` Total Memory: ${binarySize(i.MemTotal ?? 0)}`, ` Name: ${i.Name}`, ` ID: ${i.ID}`,
    ` Docker Root Dir: ${i.DockerRootDir}`, ` Debug Mode: ${i.Debug}`, ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Registers the system commands. */
export function registerSystemCommands(program: Command, ctx: CliContext): void {
  program.command('version').description("Show keel's version and the daemon's").option('--format <format>', 'json for machine-readable output')
    .addHelpText('after', '\nExample:\n  keel version --format json')
    .action(async (o: { format?: string }) => {
      if (o.format !== 'json') ctx.out(clientPart(ctx));
      const v = await ctx.client().json<Json>('GET', '/version');
      if (o.format === 'json') return ctx.out(`${JSON.stringify({ Client: { Version: ctx.version, Node: process.version }, Server: v }, null, 2)}\n`);
      ctx.out(`\nServer: ${v.Platform?.Name ?? 'keel'}\n Version:     ${v.Version}\n API version: ${v.ApiVersion} (minimum version ${v.MinAPIVersion})\n Git commit:  ${v.GitCommit}\n Built:       ${v.BuildTime}\n OS/Arch:     ${v.Os}/${v.Arch}\n Kernel:      ${v.KernelVersion}\n`);
    });

  program.command('info').description('Show what the daemon runs: drivers, counts, host figures').option('--format <format>', 'json for machine-readable output')
    .action(async (o: { format?: string }) => {
      const i = await ctx.client().json<Json>('GET', '/info');
      if (o.format === 'json') return ctx.out(`${JSON.stringify(i, null, 2)}\n`);
      ctx.out(formatInfo(i));
      for (const w of i.Warnings ?? []) ctx.err(`${w}\n`);
    });

  program.command('events').description('Stream engine events (replay with --since, stop at --until)')
    .option('--since <time>', 'Unix seconds, RFC 3339, or a duration before now such as 10m')
    .option('--until <time>', 'stop at this time (same forms)')
    .option('-f, --filter <key=value>', 'filter: type, event, container, image, network, volume, daemon, label (repeatable)', collect, [])
    .option('--format <format>', 'json: one JSON object per line')
    .addHelpText('after', '\nExamples:\n  keel events --since 10m --until 0s\n  keel events --filter type=image --filter event=load')
    .action(async (o: { since?: string; until?: string; filter: string[]; format?: string }) => {
      const query = { since: o.since ? parseTimeArg(o.since) : undefined, until: o.until ? parseTimeArg(o.until) : undefined, filters: encodeFilters(o.filter) };
      const res = await ctx.client().stream('GET', '/events', { query });
      process.once('SIGINT', () => res.destroy());
      try {
        for await (const e of jsonLines<Json>(res)) ctx.out(o.format === 'json' ? `${JSON.stringify(e)}\n` : formatEvent(e));
      } catch (err) {
        if (!res.destroyed) throw err;
      }
    });

  const system = program.command('system').description('Daemon-wide commands');
  system.command('ping').description('Check that the daemon answers, and which API it speaks').action(async () => {
    const res = await ctx.client().stream('GET', '/_ping', { unversioned: true });
    res.resume();
    ctx.out(`OK (API ${res.headers['api-version'] ?? '?'}, ${res.headers.server ?? 'keeld'})\n`);
  });
  system.command('df').description('Show disk usage of images, containers and volumes').action(async () => {
    const df = await ctx.client().json<Json>('GET', '/system/df');
    const imgs = (df.Images ?? []) as Json[];
    const size = imgs.reduce((a, i) => a + (i.Size ?? 0), 0);
    const vols = (df.Volumes ?? []) as Json[];
    ctx.out(table(['TYPE', 'TOTAL', 'SIZE'], [
      ['Images', String(imgs.length), decimalSize(df.LayersSize ?? size)],
      ['Containers', String((df.Containers ?? []).length), decimalSize(0)],
      ['Local Volumes', String(vols.length), decimalSize(vols.reduce((a, v) => a + (v.UsageData?.Size ?? 0), 0))],
    ]));
  });
}
