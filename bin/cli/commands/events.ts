/** `keel events`: the daemon's event stream, like `docker events`. */
import type { Command } from 'commander';
import { compareText } from '@keel/sdk';
import type { CliContext } from '../context.js';
import { examples } from '../help-text.js';
import { jsonLines } from '../json-lines.js';
import { outputFormat } from '../output-format.js';
import { collect, encodeFilters, parseTimeArg } from '../query-args.js';

type Json = Record<string, any>;

// timeNano (~1.8e18) exceeds 2^53, so JSON.parse rounds it; the raw line keeps every digit.
function nanos(e: Json, raw?: string): bigint {
  const exact = raw && /"timeNano"\s*:\s*(\d+)/.exec(raw);
  if (exact) return BigInt(exact[1]!);
  if (typeof e.timeNano === 'number') return BigInt(Math.round(e.timeNano / 1e3)) * 1000n;
  return BigInt(Math.round(Number(e.time ?? 0))) * 1_000_000_000n;
}

/** One event as `docker events` prints it: time, type, action, actor id, sorted attributes. */
export function formatEvent(e: Json, raw?: string): string {
  const ns = nanos(e, raw);
  const seconds = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  const time = `${seconds}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
  const attrs = Object.entries((e.Actor?.Attributes ?? {}) as Record<string, string>)
    .sort(([a], [b]) => compareText(a, b))
    .map(([k, v]) => `${k}=${v}`);
  return `${time} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

/** Registers `keel events`. */
export function registerEventsCommand(program: Command, ctx: CliContext): void {
  program.command('events')
    .description('Stream engine events as they happen. --since replays past events; --until ends the stream (otherwise Ctrl-C does)')
    .option('--since <time>', 'show events from this time: Unix seconds, RFC 3339, or a duration before now (10m, 1h30m)')
    .option('--until <time>', 'stop at this time (same forms)')
    .option('-f, --filter <key=value>', 'type, event, container, image, network, volume, daemon, label (repeatable; same key = OR, different keys = AND)', collect, [])
    .option('--format <format>', 'json: one JSON object per line, as the daemon sent it')
    .addHelpText('after', examples('keel events', 'keel events --since 10m --until 0s', 'keel events --filter type=daemon --filter event=reload', 'keel events --since 2026-11-23T06:00:00Z --format json'))
    .action(async (o: { since?: string; until?: string; filter: string[]; format?: string }) => {
      const json = outputFormat(o.format) === 'json';
      const query = { since: o.since ? parseTimeArg(o.since) : undefined, until: o.until ? parseTimeArg(o.until) : undefined, filters: encodeFilters(o.filter) };
      const res = await ctx.client().stream('GET', '/events', { query });
      const stop = () => res.destroy();
      ctx.signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const { raw, value } of jsonLines<Json>(res)) ctx.out(json ? `${raw}\n` : formatEvent(value, raw));
      } catch (err) {
        // Ctrl-C tears the stream down mid-read: that is the normal way to stop, not an error.
        if (!ctx.signal.aborted) throw err;
      } finally {
        ctx.signal.removeEventListener('abort', stop);
      }
    });
}
