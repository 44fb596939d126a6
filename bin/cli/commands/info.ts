/** `keel info`: what the daemon runs, like `docker info`. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../help-text.js';
import { binarySize } from '../human-units.js';
import { outputFormat, toJson } from '../output-format.js';

type Json = Record<string, any>;

const list = (v: unknown): string => (Array.isArray(v) ? v.join(' ') : '');

/** The text of `keel info` (docker's layout: one fact per line, sub-facts indented). */
export function formatInfo(i: Json, clientVersion: string): string {
  const lines = [
    'Client:', ` Version: ${clientVersion}`, '',
    'Server:',
    ` Containers: ${i.Containers ?? 0}`, `  Running: ${i.ContainersRunning ?? 0}`, `  Paused: ${i.ContainersPaused ?? 0}`, `  Stopped: ${i.ContainersStopped ?? 0}`,
    ` Images: ${i.Images ?? 0}`, ` Server Version: ${i.ServerVersion ?? ''}`, ` Storage Driver: ${i.Driver || '(none)'}`,
    ...((i.DriverStatus ?? []) as string[][]).map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver || '(none)'}`, ` Cgroup Driver: ${i.CgroupDriver ?? ''}`, ` Cgroup Version: ${i.CgroupVersion ?? ''}`,
    ' Plugins:', `  Volume: ${list(i.Plugins?.Volume)}`, `  Network: ${list(i.Plugins?.Network)}`, `  Log: ${list(i.Plugins?.Log)}`,
    ` Runtimes: ${Object.keys(i.Runtimes ?? {}).join(' ')}`, ` Default Runtime: ${i.DefaultRuntime || '(none)'}`,
    ` Kernel Version: ${i.KernelVersion ?? ''}`, ` Operating System: ${i.OperatingSystem ?? ''}`, ` OSType: ${i.OSType ?? 'linux'}`,
    ` Architecture: ${i.Architecture ?? ''}`, ` CPUs: ${i.NCPU ?? 0}`, ` Total Memory: ${binarySize(i.MemTotal ?? 0)}`,
    ` Name: ${i.Name ?? ''}`, ` ID: ${i.ID ?? ''}`, ` Docker Root Dir: ${i.DockerRootDir ?? ''}`,
    ` Debug Mode: ${!!i.Debug}`, ` Live Restore Enabled: ${!!i.LiveRestoreEnabled}`,
  ];
  return lines.map((l) => `${l.trimEnd()}\n`).join('');
}

/** Registers `keel info`. */
export function registerInfoCommand(program: Command, ctx: CliContext): void {
  program.command('info')
    .description('Show what the daemon runs: storage/network/log drivers, runtimes, counts and host figures. Warnings go to stderr')
    .option('--format <format>', 'json: the daemon\'s SystemInfo object as is')
    .addHelpText('after', examples('keel info', 'keel info --format json | jq .Driver'))
    .action(async (o: { format?: string }) => {
      const json = outputFormat(o.format) === 'json';
      const i = await ctx.client().json<Json>('GET', '/info');
      if (json) return ctx.out(toJson(i));
      ctx.out(formatInfo(i, ctx.version));
      for (const w of (i.Warnings ?? []) as string[]) ctx.err(`${w}\n`);
    });
}
