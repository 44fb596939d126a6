/**
 * Containers and exec sessions under conmon (Debian's container monitor), so that no container
 * depends on the daemon: conmon holds the stdio, writes the CRI-format log, reaps the process and
 * records its exit code (`<persist-dir>/exit` and `<exit-dir>/<id>`), and serves an attach socket.
 *
 * Talking to conmon: it reads/writes JSON lines (`{"data": n, "message"?}`) on the pipes named by
 * `_OCI_SYNCPIPE` (container pid, or exec exit code), `_OCI_ATTACHPIPE` (attach socket ready) and
 * reads `_OCI_STARTPIPE` (go ahead). It double-forks, so our child exits at once and the monitor
 * lives on with the other ends of those pipes: we drop ours when done or Node would wait on them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { InternalError, InvalidArgumentError } from '@keel/sdk';

/** What every conmon invocation needs. */
export interface ConmonBase {
  /** Container id (runtime id). */
  readonly id: string;
  /** The runtime binary and its global arguments (`--root …`). */
  readonly runtimePath: string;
  readonly runtimeArgs: readonly string[];
  readonly tty: boolean;
  /** Keep a stdin pipe (`-i`). */
  readonly stdin: boolean;
}

/** Starting a container's init process (`runtime create` under conmon). */
export interface ConmonCreateOptions extends ConmonBase {
  readonly name: string;
  readonly bundle: string;
  /** Directory for `exit` and `oom` files that survive a daemon restart. */
  readonly persistDir: string;
  /** Shared directory where the exit file `<id>` appears (watched by the daemon). */
  readonly exitDir: string;
  /** CRI-format log (`k8s-file`). */
  readonly logPath: string;
  readonly leaveStdinOpen: boolean;
}

/** Starting an exec session. */
export interface ConmonExecOptions extends ConmonBase {
  /** Session directory: process spec, pid file, attach socket, exit file. */
  readonly dir: string;
  /** Unique session id (conmon's `-u`). */
  readonly execId: string;
  /** Path of the OCI process JSON. */
  readonly processSpec: string;
  /** Wait for the caller to attach before running (interactive/attached exec). */
  readonly attach: boolean;
  /** Kill the process after this many seconds (healthcheck timeouts). */
  readonly timeoutSeconds?: number;
}

/** A JSON message from conmon. */
interface SyncMessage {
  data: number;
  message?: string;
}

/** A running exec session. */
export interface ExecHandle {
  /** The exec'd process pid. */
  readonly pid: number;
  /** Resolves with the exit code (conmon reports it on the sync pipe). */
  readonly exit: Promise<number>;
}

function lines(stream: Readable): AsyncIterator<string> {
  return createInterface({ input: stream })[Symbol.asyncIterator]();
}

async function nextMessage(it: AsyncIterator<string>, what: string): Promise<SyncMessage> {
  for (;;) {
    const { value, done } = await it.next();
    if (done) throw new InternalError(`container monitor ended before reporting the ${what}`);
    if (!value.trim()) continue;
    try {
      return JSON.parse(value) as SyncMessage;
    } catch {
      throw new InternalError(`container monitor sent garbage: ${value.slice(0, 200)}`);
    }
  }
}

/** Turns the runtime's complaint into a user-facing message (runc logs `msg="…"`). */
export function monitorError(message: string | undefined, fallback: string): string {
  if (!message) return fallback;
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(message);
  return (m ? m[1]!.replace(/\\"/g, '"') : message).trim();
}

/**
 * Sets the terminal size through a monitor's control fifo (`<dir>/ctl`, message `1 <h> <w>`).
 * Opened non-blocking: with no monitor reading it, this fails (ENXIO) instead of hanging.
 */
export async function resizeTerminal(dir: string, height: number, width: number): Promise<void> {
  const fh = await open(`${dir}/ctl`, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(`1 ${height} ${width}\n`);
  } finally {
    await fh.close();
  }
}

/** Drives the conmon binary. */
export class Conmon {
  constructor(private readonly binary: string) {}

  private args(o: ConmonBase, extra: string[]): string[] {
    const a = ['--api-version', '1', '-c', o.id, '-r', o.runtimePath, '--log-level', 'error', '--full-attach', '--socket-dir-path', '/tmp', ...extra];
    for (const arg of o.runtimeArgs) a.push('--runtime-arg', arg);
    if (o.tty) a.push('-t');
    if (o.stdin) a.push('-i');
    return a;
  }

  /** `cwd` matters: conmon 2.1 drops its `oom` marker file in its working directory. */
  private spawn(args: string[], pipes: number, cwd: string): ChildProcess {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' };
    if (pipes > 1) env._OCI_STARTPIPE = '4';
    if (pipes > 2) env._OCI_ATTACHPIPE = '5';
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'ignore', 'pipe', ...Array<'pipe'>(pipes).fill('pipe')];
    const child = spawn(this.binary, args, { stdio, env, detached: true, cwd });
    child.on('error', () => undefined);
    child.unref();
    return child;
  }

  /** Drops our ends of the pipes so Node does not wait for the (long-lived) monitor. */
  private release(child: ChildProcess): void {
    for (const s of child.stdio) (s as Readable | Writable | null)?.destroy();
  }

  /**
   * Spawns conmon, which runs `runtime create`; resolves with the container's pid once it exists
   * (created, not started: the caller attaches, then runs `runtime start`).
   */
  async create(o: ConmonCreateOptions): Promise<{ pid: number }> {
    const args = this.args(o, ['-u', o.id, '-n', o.name, '-b', o.bundle, '-p', `${o.bundle}/pid`, '-P', `${o.bundle}/conmon.pid`,
      '-l', `k8s-file:${o.logPath}`, '--exit-dir', o.exitDir, '--persist-dir', o.persistDir]);
    if (o.leaveStdinOpen) args.push('--leave-stdin-open');
    const child = this.spawn(args, 1, o.bundle);
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()).slice(-4096));
    try {
      const msg = await nextMessage(lines(child.stdio[3] as Readable), 'container pid').catch((err: Error) => {
        throw new InternalError(stderr.trim() || err.message);
      });
      if (msg.data <= 0) throw new InvalidArgumentError(monitorError(msg.message, 'the runtime failed to create the container'));
      return { pid: msg.data };
    } finally {
      this.release(child);
    }
  }

  /**
   * Starts an exec session. With `attach`, conmon sets the attach socket up and waits: `ready`
   * is called to connect to it, then the process runs.
   */
  async exec(o: ConmonExecOptions, ready?: () => Promise<void>): Promise<ExecHandle> {
    const args = this.args(o, ['-u', o.execId, '-b', o.dir, '-p', `${o.dir}/pid`, '--persist-dir', o.dir, '-l', `k8s-file:${o.dir}/log`,
      '--exec', '--exec-process-spec', o.processSpec, ...(o.attach ? ['--exec-attach'] : []), ...(o.timeoutSeconds ? ['-T', String(o.timeoutSeconds)] : [])]);
    const child = this.spawn(args, o.attach ? 3 : 1, o.dir);
    const sync = lines(child.stdio[3] as Readable);
    let released = false;
    const release = () => {
      if (!released) this.release(child);
      released = true;
    };
    try {
      if (o.attach) {
        const start = child.stdio[4] as Writable;
        start.write('0'); // first read: conmon may fork and set up
        await nextMessage(lines((child.stdio as unknown as Readable[])[5]!), 'attach socket');
        await ready?.();
        start.write('0'); // second read: run the process
      }
      const msg = await nextMessage(sync, 'exec pid');
      if (msg.data <= 0) throw new InvalidArgumentError(monitorError(msg.message, 'the runtime failed to run the exec process'));
      const exit = nextMessage(sync, 'exit code').then((m) => m.data, () => -1).finally(release);
      return { pid: msg.data, exit };
    } catch (err) {
      release();
      throw err;
    }
  }
}
