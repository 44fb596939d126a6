/** `keel image ls|load|save|rm|inspect|history|prune|tag`. */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ReportedError } from '../errors.js';
import { examples } from '../help-text.js';
import { ago, decimalSize } from '../human-units.js';
import { jsonLines } from '../json-lines.js';
import { outputFormat, toJson } from '../output-format.js';
import { ProgressRenderer } from '../progress.js';
import { collect, encodeFilters } from '../query-args.js';
import { table } from '../table-writer.js';

type Json = Record<string, any>;
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** Rows of `keel image ls`: one per tag, `<none>` for untagged images. */
export function imageRows(images: Json[], digests: boolean): string[][] {
  return images.flatMap((i) => {
    const tags: string[] = i.RepoTags?.length ? i.RepoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const cut = t.lastIndexOf(':');
      const row = [t.slice(0, cut), t.slice(cut + 1)];
      if (digests) row.push((i.RepoDigests?.[0] ?? '<none>').split('@')[1] ?? '<none>');
      return [...row, short(i.Id), ago(i.Created), decimalSize(i.Size ?? 0)];
    });
  });
}

/** Registers the image commands. */
export function registerImageCommands(program: Command, ctx: CliContext): void {
  const image = program.command('image').description('Manage local images: ls, load, save, rm, inspect, history, prune, tag')
    .addHelpText('after', examples('keel image ls', 'keel image load -i busybox.tar'));

  image.command('ls').alias('list').description('List images')
    .option('-a, --all', 'show all images').option('-q, --quiet', 'only image ids').option('--digests', 'show digests')
    .option('-f, --filter <key=value>', 'dangling, label, reference, before, since, until (repeatable)', collect, [])
    .option('--format <format>', 'json for machine-readable output')
    .addHelpText('after', examples('keel image ls', 'keel image ls --filter dangling=true', 'keel image ls --filter reference=busybox -q'))
    .action(async (o: { all?: boolean; quiet?: boolean; digests?: boolean; filter: string[]; format?: string }) => {
      const json = outputFormat(o.format) === 'json';
      const images = await ctx.client().json<Json[]>('GET', '/images/json', { query: { all: o.all ? '1' : undefined, filters: encodeFilters(o.filter) } });
      if (json) return ctx.out(toJson(images));
      if (o.quiet) return ctx.out([...new Set(images.map((i) => short(i.Id)))].map((i) => `${i}\n`).join(''));
      const head = ['REPOSITORY', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
      ctx.out(table(head, imageRows(images, !!o.digests)));
    });

  image.command('load').description('Load images from a tar archive (docker save or OCI layout, optionally gzip)')
    .option('-i, --input <file>', 'read from this file instead of standard input').option('-q, --quiet', 'no progress')
    .addHelpText('after', examples('keel image load -i busybox.tar', 'gzip -dc app.tar.gz | keel image load'))
    .action(async (o: { input?: string; quiet?: boolean }) => {
      if (!o.input && process.stdin.isTTY) throw new Error('no input: pass -i FILE or pipe an archive into keel image load');
      const upload = o.input ? createReadStream(o.input) : process.stdin;
      const res = await ctx.client().stream('POST', '/images/load', { query: { quiet: o.quiet ? '1' : undefined }, upload, headers: { 'Content-Type': 'application/x-tar' } });
      const r = new ProgressRenderer((s) => ctx.out(s), ctx.tty);
      for await (const { value } of jsonLines(res)) r.render(value);
    });

  image.command('save').description('Save images to a tar archive that docker and keel can load')
    .argument('<images...>', 'names or ids').option('-o, --output <file>', 'write to a file instead of standard output')
    .addHelpText('after', examples('keel image save busybox:latest -o busybox.tar', 'keel image save app:1 app:2 | gzip > apps.tar.gz'))
    .action(async (names: string[], o: { output?: string }) => {
      if (!o.output && process.stdout.isTTY) throw new Error('refusing to write a tar to the terminal: use -o FILE or redirect the output');
      const res = await ctx.client().stream('GET', '/images/get', { query: { names } });
      await pipeline(res, o.output ? createWriteStream(o.output) : process.stdout);
    });

  image.command('rm').alias('remove').description('Remove images (untags a name; deletes the image when no name is left)')
    .argument('<images...>', 'names or ids').option('-f, --force', 'remove even when several names point at the image')
    .addHelpText('after', examples('keel image rm busybox:latest', 'keel image rm -f 3f57d9401f8d'))
    .action(async (names: string[], o: { force?: boolean }) => {
      let failed = 0;
      for (const n of names) {
        try {
          const items = await ctx.client().json<Json[]>('DELETE', `/images/${n}`, { query: { force: o.force ? '1' : undefined } });
          for (const it of items) ctx.out(it.Untagged ? `Untagged: ${it.Untagged}\n` : `Deleted: ${it.Deleted}\n`);
        } catch (err) {
          failed++;
          ctx.err(`Error response from daemon: ${(err as Error).message}\n`);
        }
      }
      if (failed) throw new ReportedError(`${failed} image(s) not removed`);
    });

  image.command('inspect').description('Show images in detail (JSON)').argument('<images...>', 'names or ids')
    .addHelpText('after', examples('keel image inspect busybox', 'keel image inspect busybox | jq .[0].RootFS'))
    .action(async (names: string[]) => {
      const out = [];
      for (const n of names) out.push(await ctx.client().json('GET', `/images/${n}/json`));
      ctx.out(toJson(out));
    });

  image.command('history').description('Show how an image was built, newest layer first').argument('<image>', 'name or id')
    .option('--no-trunc', 'do not shorten output')
    .addHelpText('after', examples('keel image history busybox', 'keel image history --no-trunc busybox'))
    .action(async (name: string, o: { trunc: boolean }) => {
      const rows = await ctx.client().json<Json[]>('GET', `/images/${name}/history`);
      const cut = (s: string, n: number) => (o.trunc && s.length > n ? `${s.slice(0, n - 1)}…` : s);
      ctx.out(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows.map((r) => [r.Id === '<missing>' ? r.Id : o.trunc ? short(r.Id) : r.Id, ago(r.Created), cut(r.CreatedBy ?? '', 45), decimalSize(r.Size ?? 0), r.Comment ?? ''])));
    });

  image.command('prune').description('Remove dangling images (-a: every image no container uses)')
    .option('-a, --all', 'remove all unused images, not just dangling ones').option('-f, --force', 'do not ask for confirmation')
    .addHelpText('after', examples('keel image prune -f', 'keel image prune -a -f'))
    .action(async (o: { all?: boolean; force?: boolean }) => {
      if (!o.force && process.stdin.isTTY) {
        ctx.err(`This removes ${o.all ? 'all images without a container' : 'all dangling images'}. Re-run with -f to confirm.\n`);
        return;
      }
      const r = await ctx.client().json<Json>('POST', '/images/prune', { query: { filters: o.all ? JSON.stringify({ dangling: { false: true } }) : undefined } });
      for (const it of r.ImagesDeleted ?? []) ctx.out(it.Untagged ? `untagged: ${it.Untagged}\n` : `deleted: ${it.Deleted}\n`);
      ctx.out(`\nTotal reclaimed space: ${decimalSize(r.SpaceReclaimed ?? 0)}\n`);
    });

  image.command('tag').description('Give an image another name').argument('<source>', 'name or id').argument('<target>', 'new name[:tag]')
    .addHelpText('after', examples('keel image tag busybox:latest registry.local/busybox:1'))
    .action(async (source: string, target: string) => {
      const cut = target.lastIndexOf(':');
      const hasTag = cut > target.lastIndexOf('/');
      await ctx.client().json('POST', `/images/${source}/tag`, { query: { repo: hasTag ? target.slice(0, cut) : target, tag: hasTag ? target.slice(cut + 1) : undefined } });
    });
}
