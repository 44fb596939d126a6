/**
 * `docker exec`: sessions created against a running container, started detached or attached
 * through conmon (`--exec`), with the exit code final before an attached stream closes, as the
 * CLI reads it right after (`GET /exec/{id}/json`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError } from '@keel/sdk';
import { ALL_CAPS, DEFAULT_PATH } from '../spec/defaults.js';
import { resolveUser } from '../spec/user.js';
import type { ContainerRecord } from '../container-types.js';
import { clientSession, frame } from '../attach/client-session.js';
import { connectAttach } from '../monitor/attach-socket.js';
import { resizeTerminal } from '../monitor/conmon.js';
import { containerPaths, publishContainer, type ContainerContext } from '../lifecycle/context.js';
import { daemonBoundingCaps, readEtcFile } from '../lifecycle/spec-files.js';
import { criEntry } from '../logging/log-tailer.js';

/** The exec create body. */
export interface ExecConfig {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
  ConsoleSize?: [number, number] | null;
}

interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
}

/** Exec sessions of every container (kept in memory, like moby's exec store). */
export class ExecService {
  private readonly sessions = new Map<string, ExecSession>();

  constructor(private readonly ctx: ContainerContext) {}

  private running(ref: string): ContainerRecord {
    const c = this.ctx.store.get(ref);
    if (!c.State.Running) throw new ConflictError(`container ${c.Id} is not running`);
    if (c.State.Paused) throw new ConflictError(`Container ${c.Id} is paused, unpause the container before exec`);
    if (c.State.Restarting) throw new ConflictError(`Container ${c.Id} is restarting, wait until the container is running`);
    return c;
  }

  create(ref: string, config: ExecConfig): string {
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new InvalidArgumentError('exec configuration cannot be empty');
    if (typeof config.Cmd === 'string') config.Cmd = [config.Cmd];
    if (!config.Cmd?.length) throw new InvalidArgumentError('No exec command specified');
    const strings = (v: unknown) => v == null || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!strings(config.Cmd) || !strings(config.Env)) throw new InvalidArgumentError('invalid exec request: Cmd and Env must be lists of strings');
    for (const k of ['User', 'WorkingDir', 'DetachKeys'] as const) if (config[k] != null && typeof config[k] !== 'string') throw new InvalidArgumentError(`invalid exec request: ${k} must be a string`);
    const c = this.running(ref);
    const id = randomBytes(32).toString('hex');
    this.sessions.set(id, { id, containerId: c.Id, config, running: false, started: false, exitCode: null, pid: 0 });
    publishContainer(this.ctx, c, `exec_create: ${config.Cmd.join(' ')}`, { execID: id });
    return id;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id);
    if (!s) throw new NotFoundError(`No such exec instance: ${id}`);
    return s;
  }

  /** `GET /exec/{id}/json`. */
  inspect(id: string): Record<string, unknown> {
    const s = this.get(id);
    const [entrypoint, ...args] = s.config.Cmd ?? [];
    return {
      ID: s.id, Running: s.running, ExitCode: s.exitCode, ProcessConfig: { tty: !!s.config.Tty, entrypoint, arguments: args, privileged: !!s.config.Privileged, ...(s.config.User ? { user: s.config.User } : {}) },
      OpenStdin: !!s.config.AttachStdin, OpenStderr: !!s.config.AttachStderr, OpenStdout: !!s.config.AttachStdout, CanRemove: false,
      ContainerID: s.containerId, DetachKeys: s.config.DetachKeys ?? '', Pid: s.pid,
    };
  }

  /** The OCI process of the session, based on the container's own (caps, rlimits, env). */
  private async processSpec(c: ContainerRecord, cfg: ExecConfig): Promise<Record<string, unknown>> {
    const bundle = containerPaths(this.ctx, c.Id).bundle;
    const spec = JSON.parse(await readFile(path.join(bundle, 'config.json'), 'utf8')) as { process: Record<string, unknown> & { env: string[] }; root: { path: string } };
    const env = new Map<string, string>();
    for (const e of [...spec.process.env, ...(cfg.Env ?? [])]) env.set(e.split('=')[0]!, e);
    if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
    if (cfg.Tty && !env.has('TERM')) env.set('TERM', 'TERM=xterm');
    const rootfs = spec.root.path;
    const user = cfg.User ? resolveUser(cfg.User, await readEtcFile(rootfs, 'passwd'), await readEtcFile(rootfs, 'group'), c.HostConfig.GroupAdd ?? []) : spec.process.user;
    const all = [...(await daemonBoundingCaps())].filter((cap) => ALL_CAPS.includes(cap));
    const caps = cfg.Privileged ? { bounding: all, effective: all, permitted: all } : spec.process.capabilities;
    const [h, w] = cfg.ConsoleSize ?? [0, 0];
    return {
      ...spec.process, args: cfg.Cmd, env: [...env.values()], cwd: cfg.WorkingDir || spec.process.cwd || '/', user, capabilities: caps,
      terminal: !!cfg.Tty, ...(cfg.Tty && h && w ? { consoleSize: { height: h, width: w } } : {}),
    };
  }

  /**
   * `POST /exec/{id}/start`. Detached: returns once the process runs. Attached: `socket` is the
   * hijacked connection; it is closed after the process exited and its exit code was recorded.
   */
  async start(id: string, opts: { detach: boolean; tty?: boolean; consoleSize?: [number, number] | null }, socket?: Duplex, head?: Buffer): Promise<void> {
    const s = this.get(id);
    if (s.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const c = this.running(s.containerId);
    s.started = true;
    const cfg = { ...s.config, ...(opts.consoleSize ? { ConsoleSize: opts.consoleSize } : {}) };
    const dir = containerPaths(this.ctx, c.Id).execDir(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const specFile = path.join(dir, 'process.json');
    const runtime = this.ctx.runtimes.require(c.keel.runtime);
    const tty = !!cfg.Tty;
    const session = socket ? clientSession(socket, {
      tty, stdin: !!cfg.AttachStdin, stdout: !!cfg.AttachStdout, stderr: !!cfg.AttachStderr, closeStdinOnEnd: true, head,
      beforeClose: () => finished,
    }) : undefined;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    try {
      await writeFile(specFile, JSON.stringify(await this.processSpec(c, cfg)));
      const handle = await this.ctx.conmon.exec({
        id: c.Id, execId: id.slice(0, 16), dir, processSpec: specFile, attach: !!session, tty, stdin: !!cfg.AttachStdin,
        runtimePath: runtime.path, runtimeArgs: runtime.globalArgs ?? [],
      }, session ? async () => session.connected(await connectAttach(dir, { onOutput: session.onOutput, onEnd: session.onEnd })) : undefined);
      Object.assign(s, { running: true, pid: handle.pid });
      publishContainer(this.ctx, c, `exec_start: ${(cfg.Cmd ?? []).join(' ')}`, { execID: id });
      void handle.exit.then(async (code) => {
        Object.assign(s, { running: false, exitCode: code });
        publishContainer(this.ctx, c, 'exec_die', { execID: id, exitCode: String(code) });
        finish();
        await rm(dir, { recursive: true, force: true });
      });
    } catch (err) {
      // Docker runs the hijack first; a process that cannot start is reported in the stream, exit code 126.
      Object.assign(s, { running: false, exitCode: 126 });
      finish();
      await rm(dir, { recursive: true, force: true });
      if (!session) throw err;
      const text = Buffer.from(`OCI runtime exec failed: ${(err as Error).message}\r\n`);
      session.writeRaw(tty ? text : frame(1, text));
      session.end();
    }
  }

  /**
   * Runs `cmd` in the container without a client (healthchecks): output is read back from the
   * session's log (first 4 KiB, as Docker keeps), the process killed after `timeoutSeconds`.
   */
  async probe(c: ContainerRecord, cmd: string[], timeoutSeconds: number): Promise<{ exitCode: number; output: string }> {
    const id = randomBytes(32).toString('hex');
    const dir = containerPaths(this.ctx, c.Id).execDir(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const specFile = path.join(dir, 'process.json');
      await writeFile(specFile, JSON.stringify(await this.processSpec(c, { Cmd: cmd })));
      const runtime = this.ctx.runtimes.require(c.keel.runtime);
      const handle = await this.ctx.conmon.exec({
        id: c.Id, execId: id.slice(0, 16), dir, processSpec: specFile, attach: false, tty: false, stdin: false,
        runtimePath: runtime.path, runtimeArgs: runtime.globalArgs ?? [], timeoutSeconds: Math.max(1, Math.ceil(timeoutSeconds)),
      });
      const exitCode = await handle.exit;
      const raw = await readFile(path.join(dir, 'log')).catch(() => Buffer.alloc(0));
      const output = raw.toString('utf8').split('\n').map((l) => criEntry(Buffer.from(l))).filter((e) => !!e).map((e) => `${Buffer.from(e.line).toString()}${e.partial ? '' : '\n'}`).join('');
      return { exitCode, output: output.slice(0, 4096) };
    } catch (err) {
      return { exitCode: -1, output: (err as Error).message };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** `POST /exec/{id}/resize`. */
  async resize(id: string, h: number, w: number): Promise<void> {
    const s = this.get(id);
    if (!s.running) throw new ConflictError(`Exec ${id} is not running`);
    await resizeTerminal(containerPaths(this.ctx, s.containerId).execDir(id), h, w);
  }

  /** Forgets the sessions of a removed container. */
  forget(containerId: string): void {
    for (const [id, s] of this.sessions) if (s.containerId === containerId) this.sessions.delete(id);
  }
}
