/** `keel plugin ls`: what the engine loaded, and why anything did not run. */
import type { Command } from 'commander';
import { collect, type CliContext } from '../context.js';
import { table } from '../format.js';

interface PluginRow { id: string; kind: string; name: string; status: string; reason?: string; remote?: string }

/** Registers the plugin commands. */
export function registerPluginCommands(program: Command, ctx: CliContext): void {
  const plugin = program.command('plugin').description('Engine plugins: drivers and services');
  plugin.command('ls').alias('list').description('List plugins with their kind, status and the reason for any skip or failure')
    .option('-q, --quiet', 'only ids').option('--format <format>', 'json for machine-readable output').option('--no-trunc', 'do not shorten reasons')
    .option('-f, --filter <key=value>', 'filter by status or kind (repeatable)', collect, [])
    .addHelpText('after', '\nExamples:\n  keel plugin ls --filter status=skipped\n  keel plugin ls --filter kind=storage')
    .action(async (o: { quiet?: boolean; format?: string; trunc: boolean; filter: string[] }) => {
      let rows = await ctx.client().json<PluginRow[]>('GET', '/_engine/plugins');
      for (const f of o.filter) {
        const [k, v] = f.split('=');
        if (!['status', 'kind', 'name', 'id'].includes(k ?? '') || v === undefined) throw new Error(`invalid filter "${f}": use status=, kind=, name= or id=`);
        rows = rows.filter((r) => String(r[k as keyof PluginRow]) === v);
      }
      if (o.format === 'json') return ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
      if (o.quiet) return ctx.out(rows.map((r) => `${r.id}\n`).join(''));
      const reason = (r: PluginRow) => {
        const text = r.reason ?? (r.remote ? `remote: ${r.remote}` : '');
        return o.trunc && text.length > 60 ? `${text.slice(0, 59)}…` : text;
      };
      ctx.out(table(['ID', 'KIND', 'NAME', 'STATUS', 'REASON'], rows.map((r) => [r.id, r.kind, r.name, r.status, reason(r)])));
    });
}
