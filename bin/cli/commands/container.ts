/** `keel container ls|stop|rm|logs|inspect` and the top-level `keel ps`. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../help-text.js';
import { ago } from '../human-units.js';
import { outputFormat, toJson } from '../output-format.js';
import { collect, encodeFilters } from '../query-args.js';
import { table } from '../table-writer.js';

type Json = Record<string, any>;

/** The PORTS column as docker prints it (`127.0.0.1:8080->80/tcp`, `80/tcp`). */
export function portsText(ports: Json[] | undefined): string {
  return (ports ?? []).map((p) => (p.PublicPort ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`)).join(', ');
}

/** Rows of `keel ps`. */
export function containerRows(list: Json[]): string[][] {
  return list.map((c) => {
    const cmd = String(c.Command ?? '');
    return [String(c.Id).slice(0, 12), c.Image, JSON.stringify(cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd), ago(c.Created), c.Status, portsText(c.Ports), (c.Names ?? []).map((n: string) => n.replace(/^\//, '')).join(',')];
  });
}

/** Splits a multiplexed log stream (non-TTY) into stdout and stderr; a TTY stream is raw. */
export function demux(data: Buffer, onFrame: (stream: number, payload: Buffer) => void): Buffer {
  let off = 0;
  while (data.length - off >= 8) {
    const len = data.readUInt32BE(off + 4);
    if (data.length - off - 8 < len) break;
    onFrame(data[off]!, data.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  return data.subarray(off);
}

/** Registers the container commands. */
export function registerContainerCommands(program: Command, ctx: CliContext): void {
  const container = program.command('container').description('Manage containers: ls, stop, rm, logs, inspect (docker run and exec do the rest)')
    .addHelpText('after', examples('keel container ls -a', 'keel container logs -f web'));
  const list = async (o: { all?: boolean; quiet?: boolean; filter: string[]; format?: string }) => {
    const items = await ctx.client().json<Json[]>('GET', '/containers/json', { query: { all: o.all ? '1' : undefined, filters: encodeFilters(o.filter) } });
    if (outputFormat(o.format) === 'json') return ctx.out(toJson(items));
    if (o.quiet) return ctx.out(items.map((c) => `${String(c.Id).slice(0, 12)}\n`).join(''));
    ctx.out(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], containerRows(items)));
  };
  for (const cmd of [container.command('ls').alias('list'), program.command('ps')]) {
    cmd.description('List containers (running ones unless -a)')
      .option('-a, --all', 'show stopped containers too').option('-q, --quiet', 'only container ids')
      .option('-f, --filter <key=value>', 'status, name, label, ancestor, exited, health, network (repeatable)', collect, [])
      .option('--format <format>', 'json for machine-readable output')
      .addHelpText('after', examples('keel ps -a', 'keel ps --filter status=exited -q'))
      .action(list);
  }
  container.command('stop').argument('<containers...>').description('Stop containers (stop signal, then SIGKILL after the timeout)')
    .option('-t, --time <seconds>', 'seconds to wait before killing')
    .action(async (names: string[], o: { time?: string }) => {
      for (const n of names) {
        await ctx.client().json('POST', `/containers/${encodeURIComponent(n)}/stop`, { query: { t: o.time } });
        ctx.out(`${n}\n`);
      }
    });
  container.command('rm').argument('<containers...>').description('Remove containers')
    .option('-f, --force', 'kill running ones first').option('-v, --volumes', 'remove their anonymous volumes')
    .action(async (names: string[], o: { force?: boolean; volumes?: boolean }) => {
      for (const n of names) {
        await ctx.client().json('DELETE', `/containers/${encodeURIComponent(n)}`, { query: { force: o.force ? '1' : undefined, v: o.volumes ? '1' : undefined } });
        ctx.out(`${n}\n`);
      }
    });
  container.command('inspect').argument('<container>').description('Show a container as JSON')
    .action(async (n: string) => ctx.out(toJson([await ctx.client().json('GET', `/containers/${encodeURIComponent(n)}/json`)])));
  container.command('logs').argument('<container>').description('Show a container\'s logs')
    .option('-f, --follow', 'follow until the container stops').option('-n, --tail <lines>', 'only the last lines').option('-t, --timestamps', 'show timestamps')
    .action(async (n: string, o: { follow?: boolean; tail?: string; timestamps?: boolean }) => {
      const info = await ctx.client().json<Json>('GET', `/containers/${encodeURIComponent(n)}/json`);
      const res = await ctx.client().stream('GET', `/containers/${info.Id}/logs`, {
        query: { stdout: '1', stderr: '1', follow: o.follow ? '1' : undefined, tail: o.tail ?? 'all', timestamps: o.timestamps ? '1' : undefined },
      });
      let rest: Buffer = Buffer.alloc(0);
      for await (const chunk of res) {
        if (info.Config?.Tty) {
          process.stdout.write(chunk as Buffer);
          continue;
        }
        rest = demux(Buffer.concat([rest, chunk as Buffer]), (s, payload) => (s === 2 ? process.stderr : process.stdout).write(payload));
      }
    });
}
