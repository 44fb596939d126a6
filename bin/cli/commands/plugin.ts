/** `keel plugin ls`: what the engine loaded, and why anything did not run. */
import type { PluginInfo } from '@keel/sdk';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../help-text.js';
import { outputFormat, toJson } from '../output-format.js';
import { collect, splitPair } from '../query-args.js';
import { table } from '../table-writer.js';

const FILTER_KEYS = ['status', 'kind', 'name', 'id'] as const;
const REASON_WIDTH = 60;

/**
 * Applies `key=value` filters client-side (the endpoint takes none). Values of one key are OR-ed,
 * different keys AND-ed — the rule of Docker's filters.
 */
export function filterPlugins(plugins: readonly PluginInfo[], pairs: readonly string[]): PluginInfo[] {
  const wanted = new Map<string, Set<string>>();
  for (const p of pairs) {
    const [k, v] = splitPair(p);
    if (!(FILTER_KEYS as readonly string[]).includes(k)) throw new Error(`invalid filter "${p}": use ${FILTER_KEYS.map((x) => `${x}=`).join(', ')}`);
    wanted.set(k, (wanted.get(k) ?? new Set()).add(v));
  }
  return plugins.filter((r) => [...wanted].every(([k, vs]) => vs.has(String(r[k as (typeof FILTER_KEYS)[number]]))));
}

/** The REASON column: why a plugin is not running, or where a remote one lives. */
function reason(p: PluginInfo, trunc: boolean): string {
  const text = p.reason ?? (p.remote ? `remote: ${p.remote}` : '');
  return trunc && text.length > REASON_WIDTH ? `${text.slice(0, REASON_WIDTH - 1)}…` : text;
}

/** Registers `keel plugin …`. */
export function registerPluginCommands(program: Command, ctx: CliContext): void {
  const plugin = program.command('plugin').description('Engine plugins: the services and drivers keeld was built with')
    .addHelpText('after', examples('keel plugin ls'));

  plugin.command('ls').alias('list')
    .description('List plugins with their kind and status (running, skipped, failed, disabled) and the reason for anything not running')
    .option('-q, --quiet', 'only print plugin ids')
    .option('-f, --filter <key=value>', 'status=, kind=, name= or id= (repeatable)', collect, [])
    .option('--format <format>', 'json: the full plugin records (description, capabilities, initMs, …)')
    .option('--no-trunc', `do not shorten reasons to ${REASON_WIDTH} characters`)
    .addHelpText('after', examples('keel plugin ls', 'keel plugin ls --filter status=skipped', 'keel plugin ls --filter kind=storage --no-trunc', 'keel plugin ls -q --filter status=running'))
    .action(async (o: { quiet?: boolean; format?: string; trunc: boolean; filter: string[] }) => {
      const json = outputFormat(o.format) === 'json';
      const rows = filterPlugins(await ctx.client().json<PluginInfo[]>('GET', '/_engine/plugins'), o.filter);
      if (json) return ctx.out(toJson(rows));
      if (o.quiet) return ctx.out(rows.map((r) => `${r.id}\n`).join(''));
      ctx.out(table(['ID', 'KIND', 'NAME', 'STATUS', 'REASON'], rows.map((r) => [r.id, r.kind, r.name, r.status, reason(r, o.trunc)])));
    });
}
