/** `keel pull`, `keel push`, `keel login`, `keel logout`. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { HUB_KEY, registryAuthHeader, registryKey, removeCredentials, saveCredentials } from '../credentials.js';
import { examples } from '../help-text.js';
import { jsonLines } from '../json-lines.js';
import { ProgressRenderer } from '../progress.js';

/** Splits `name[:tag][@digest]` into what the API takes: the repository and a tag or digest. */
export function splitReference(ref: string): { repo: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const cut = ref.lastIndexOf(':');
  return cut > ref.lastIndexOf('/') ? { repo: ref.slice(0, cut), tag: ref.slice(cut + 1) } : { repo: ref };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Registers the registry commands. */
export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  const env = process.env;
  const progress = async (res: NodeJS.ReadableStream) => {
    const r = new ProgressRenderer((s) => ctx.out(s), ctx.tty);
    for await (const { value } of jsonLines(res)) r.render(value);
  };

  program.command('pull').description('Download an image from a registry').argument('<image>', 'name[:tag] or name@digest')
    .option('--platform <os/arch>', 'pull this platform of a multi-platform image')
    .addHelpText('after', examples('keel pull 127.0.0.1:5000/team/app:1', 'keel pull 127.0.0.1:5000/team/app@sha256:…'))
    .action(async (image: string, o: { platform?: string }) => {
      const { repo, tag } = splitReference(image);
      const headers = { 'X-Registry-Auth': registryAuthHeader(registryKey(repo), env) };
      const res = await ctx.client().stream('POST', '/images/create', { query: { fromImage: repo, tag: tag ?? 'latest', platform: o.platform }, headers });
      await progress(res);
    });

  program.command('push').description('Upload an image to a registry').argument('<image>', 'name[:tag] (every tag of the name without one)')
    .addHelpText('after', examples('keel image tag app:1 127.0.0.1:5000/team/app:1', 'keel push 127.0.0.1:5000/team/app:1'))
    .action(async (image: string) => {
      const { repo, tag } = splitReference(image);
      const headers = { 'X-Registry-Auth': registryAuthHeader(registryKey(repo), env) };
      const res = await ctx.client().stream('POST', `/images/${repo}/push`, { query: { tag }, headers });
      await progress(res);
    });

  program.command('login').description('Log in to a registry (credentials are kept in the docker CLI\'s config.json)').argument('[server]', 'registry host[:port]', HUB_KEY)
    .option('-u, --username <name>', 'user name').option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .addHelpText('after', examples('echo "$PASS" | keel login -u alice --password-stdin 127.0.0.1:5000'))
    .action(async (server: string, o: { username?: string; password?: string; passwordStdin?: boolean }) => {
      if (!o.username) throw new Error('a user name is required: keel login -u NAME --password-stdin SERVER');
      const password = o.passwordStdin ? await readStdin() : o.password;
      if (!password) throw new Error('a password is required: pass --password-stdin and pipe it in');
      const r = await ctx.client().json<{ Status: string; IdentityToken?: string }>('POST', '/auth', { body: { username: o.username, password, serveraddress: server } });
      saveCredentials(server, o.username, password, r.IdentityToken ?? '', env);
      ctx.out(`${r.Status}\n`);
    });

  program.command('logout').description('Forget the credentials of a registry').argument('[server]', 'registry host[:port]', HUB_KEY)
    .action((server: string) => {
      ctx.out(removeCredentials(server, env) ? `Removing login credentials for ${server}\n` : `Not logged in to ${server}\n`);
    });
}
