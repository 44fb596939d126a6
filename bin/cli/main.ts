/**
 * The keel CLI: a client of keeld's API (Docker's, plus `/_engine`). Never imports the engine.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ApiClient, ConnectError, DaemonError } from './client.js';
import { registerImageCommands } from './commands/image.js';
import { registerPluginCommands } from './commands/plugin.js';
import { registerSystemCommands } from './commands/system.js';
import type { CliContext } from './context.js';
import { parseHost, pickHost } from './hosts.js';

function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0-dev';
  }
}

/** Where output goes (injectable for tests). */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  env: NodeJS.ProcessEnv;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env }): Promise<number> {
  const version = cliVersion();
  const program = new Command('keel')
    .description('keel: a client of the keel engine (keeld). Finds the daemon through -H, KEEL_HOST, DOCKER_HOST, or unix:///run/keel/keel.sock.')
    .version(version, '-v, --version')
    .option('-H, --host <address>', 'daemon address: unix:///path or tcp://host:port')
    .option('-D, --debug', 'print each API request to stderr')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let client: ApiClient | undefined;
  const ctx: CliContext = {
    version,
    out: io.out,
    err: io.err,
    client() {
      const g = program.opts<{ host?: string; debug?: boolean }>();
      return (client ??= new ApiClient(parseHost(pickHost(g.host, io.env)), version, g.debug ? (l) => io.err(`--> ${l}\n`) : undefined));
    },
  };
  registerSystemCommands(program, ctx);
  registerPluginCommands(program, ctx);
  registerImageCommands(program, ctx);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof DaemonError) io.err(`Error response from daemon: ${err.message}\n`);
    else if (err instanceof ConnectError) io.err(`${err.message}\n`);
    else if (!(err as { silent?: boolean }).silent) io.err(`Error: ${(err as Error).message}\n`);
    return 1;
  }
}
