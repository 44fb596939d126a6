/**
 * The keel CLI: a client of keeld's HTTP API (Docker's, plus `/_engine`). It never imports the
 * engine, so it works against any keeld — or dockerd, for the Docker-shaped commands.
 */
import { Command } from 'commander';
import { ApiClient } from './client.js';
import { cliVersion } from './cli-version.js';
import { registerContainerCommands } from './commands/container.js';
import { registerEventsCommand } from './commands/events.js';
import { registerImageCommands } from './commands/image.js';
import { registerInfoCommand } from './commands/info.js';
import { registerPluginCommands } from './commands/plugin.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerSystemCommands } from './commands/system.js';
import { registerVersionCommand } from './commands/version.js';
import type { CliContext } from './context.js';
import { exitCode, renderError } from './errors.js';
import { examples } from './help-text.js';
import { DEFAULT_HOST, parseHost, pickHost } from './hosts.js';

/** Where the CLI reads and writes (injectable so tests run it in-process). */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  env: NodeJS.ProcessEnv;
  /** Ends long-running commands; by default, Ctrl-C. */
  signal?: AbortSignal;
  tty?: boolean;
  /** The CLI version; by default read from package.json. */
  version?: string;
}

function processIo(): CliIo {
  // `keel events | head -1`: once the reader is gone there is nobody left to tell, so leave quietly
  // (the EPIPE would otherwise surface as an unhandled 'error' event with a stack trace).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
  return { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env, tty: !!process.stdout.isTTY };
}

// Ctrl-C aborts the signal so `keel events` ends cleanly (exit 0). Commands that ignore the signal
// are not left hanging: the process exits 130, as if there were no handler, shortly after.
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onInt = () => { ac.abort(); setTimeout(() => process.exit(130), 300).unref(); };
  process.once('SIGINT', onInt);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onInt) };
}

function program(io: CliIo, ctx: CliContext): Command {
  const p = new Command('keel')
    .description(`The keel command-line client: talks to the keel daemon (keeld) over its Docker-compatible API.\nThe daemon is found through -H, then KEEL_HOST, then DOCKER_HOST, then ${DEFAULT_HOST}.`)
    .version(ctx.version, '-v, --version', 'print the CLI version')
    .option('-H, --host <address>', 'daemon address: unix:///path/to/keel.sock or tcp://host:port')
    .option('-D, --debug', 'print each API request and response status to stderr')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText('after', examples('keel version', 'keel plugin ls --filter status=skipped', 'keel events --since 10m', 'keel -H unix:///tmp/keel.sock info', 'KEEL_HOST=tcp://10.0.0.5:2375 keel system ping'));
  for (const register of [registerVersionCommand, registerInfoCommand, registerEventsCommand, registerSystemCommands, registerPluginCommands, registerImageCommands, registerRegistryCommands, registerContainerCommands]) register(p, ctx);
  return p;
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const interrupt = io.signal ? undefined : interruptSignal();
  let client: ApiClient | undefined;
  const ctx: CliContext = {
    version: io.version ?? cliVersion(),
    out: io.out,
    err: io.err,
    signal: io.signal ?? interrupt!.signal,
    tty: !!io.tty,
    client() {
      const g = cmd.opts<{ host?: string; debug?: boolean }>();
      const debug = g.debug ? (line: string) => io.err(`${line}\n`) : undefined;
      return (client ??= new ApiClient(parseHost(pickHost(g.host, io.env)), ctx.version, debug));
    },
  };
  const cmd = program(io, ctx);
  // Bare `keel` is a request for help, not a mistake (commander would exit 1).
  if (!argv.length) {
    io.out(cmd.helpInformation());
    interrupt?.dispose();
    return 0;
  }
  try {
    await cmd.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (err) {
    const text = renderError(err);
    if (text) io.err(text);
    // An unexpected failure is a bug: -D shows where it happened.
    if (cmd.opts<{ debug?: boolean }>().debug && err instanceof Error && text?.startsWith('Error: ')) io.err(`${err.stack}\n`);
    return exitCode(err);
  } finally {
    interrupt?.dispose();
  }
}
