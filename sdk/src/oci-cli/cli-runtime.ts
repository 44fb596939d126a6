/**
 * An {@link OciRuntime} over a runc-compatible command line (runc, crun, youki …): one process
 * per operation, state under the runtime's own `--root`. Runtime plugins wrap it with their
 * binary, root and capabilities.
 * @packageDocumentation
 */
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AlreadyExistsError, ConflictError, InternalError, NotFoundError } from '../errors.js';
import type { CallOptions } from '../drivers/common.js';
import type { OciRuntime, RuntimeCapabilities, RuntimeCreateRequest, RuntimeEvent, RuntimeExecRequest, RuntimeState } from '../drivers/runtime.js';

/** Options of a {@link CliRuntime}. */
export interface CliRuntimeOptions {
  /** The runtime binary. */
  readonly path: string;
  /** State directory (`--root`). */
  readonly root: string;
  readonly capabilities: RuntimeCapabilities;
  /** Extra global arguments before each subcommand (daemon.json `runtimes.<name>.runtimeArgs`). */
  readonly args?: readonly string[];
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The message of a runtime's error output: runc logs `msg="…"`, crun plain text. */
export function runtimeMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const last = lines.at(-1) ?? '';
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  return (m ? m[1]!.replace(/\\"/g, '"') : last).trim() || 'runtime failed';
}

function classify(message: string): Error {
  if (/does not exist|not found|no such file/i.test(message)) return new NotFoundError(message);
  if (/already exists/i.test(message)) return new AlreadyExistsError(message);
  if (/not running|not paused|is paused|cannot (kill|delete|start)|stopped/i.test(message)) return new ConflictError(message);
  return new InternalError(message);
}

/** A runc-compatible runtime. */
export class CliRuntime implements OciRuntime {
  readonly path: string;
  readonly capabilities: RuntimeCapabilities;
  readonly globalArgs: readonly string[];

  constructor(private readonly opts: CliRuntimeOptions) {
    this.path = opts.path;
    this.globalArgs = [...(opts.args ?? []), '--root', opts.root];
    this.capabilities = opts.capabilities;
  }

  private check(id: string): void {
    if (!ID.test(id)) throw new ConflictError(`invalid container id "${id}"`);
  }

  /** Runs the runtime with `args`; rejects with a classified EngineError on failure. */
  async run(args: readonly string[], call: CallOptions & { input?: string } = {}): Promise<string> {
    await mkdir(this.opts.root, { recursive: true, mode: 0o700 });
    return new Promise((resolve, reject) => {
      const child = execFile(this.opts.path, [...this.globalArgs, ...args], { signal: call.signal, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) reject(classify(runtimeMessage(String(stderr) || err.message)));
        else resolve(String(stdout));
      });
      child.stdin?.end(call.input);
    });
  }

  /**
   * Runs an operation whose process outlives the runtime (create, detached exec). Its stdio is
   * not ours to hold — the container would keep our pipes open — so errors come from the
   * runtime's JSON log file instead.
   */
  async runDetached(args: readonly string[], call: CallOptions = {}): Promise<void> {
    await mkdir(this.opts.root, { recursive: true, mode: 0o700 });
    const log = path.join(this.opts.root, `.log-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    const child = spawn(this.opts.path, [...this.globalArgs, '--log', log, '--log-format', 'json', ...args], { stdio: 'ignore', signal: call.signal });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('exit', resolve);
      child.once('error', reject);
    });
    const text = await readFile(log, 'utf8').catch(() => '');
    await rm(log, { force: true });
    if (code === 0) return;
    const lines = text.trim().split('\n').filter(Boolean);
    let message = `${path.basename(this.opts.path)} ${args[0]} failed (exit ${code})`;
    for (const line of lines.reverse()) {
      try {
        const entry = JSON.parse(line) as { msg?: string; level?: string };
        if (entry.msg && entry.level !== 'debug' && entry.level !== 'info') { message = entry.msg; break; }
      } catch {
        message = line;
        break;
      }
    }
    throw classify(message);
  }

  async create(req: RuntimeCreateRequest, call?: CallOptions): Promise<void> {
    this.check(req.id);
    const args = ['create', '--bundle', req.bundle];
    if (req.pidFile) args.push('--pid-file', req.pidFile);
    if (req.consoleSocket) args.push('--console-socket', req.consoleSocket);
    await this.runDetached([...args, req.id], call);
  }

  async start(id: string, call?: CallOptions): Promise<void> {
    this.check(id);
    await this.run(['start', id], call);
  }

  async kill(id: string, signal: string, call: CallOptions & { all?: boolean } = {}): Promise<void> {
    this.check(id);
    await this.run(['kill', ...(call.all ? ['--all'] : []), id, signal.replace(/^SIG/, '')], call);
  }

  async delete(id: string, call: CallOptions & { force?: boolean } = {}): Promise<void> {
    this.check(id);
    // No state directory, no container: answer without spawning the runtime (a create-then-rm costs no process).
    if (!(await this.hasState(id))) throw new NotFoundError(`container "${id}" does not exist`);
    await this.run(['delete', ...(call.force ? ['--force'] : []), id], call);
  }

  /** Both runc and crun keep a directory per container under --root. */
  private hasState(id: string): Promise<boolean> {
    return access(path.join(this.opts.root, id)).then(() => true, () => false);
  }

  async state(id: string, call?: CallOptions): Promise<RuntimeState | undefined> {
    this.check(id);
    if (!(await this.hasState(id))) return undefined;
    try {
      const s = JSON.parse(await this.run(['state', id], call)) as RuntimeState;
      return { id: s.id, status: s.status, pid: s.pid, bundle: s.bundle };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async exec(req: RuntimeExecRequest, call?: CallOptions): Promise<void> {
    this.check(req.id);
    const dir = await mkdtemp(path.join(this.opts.root, `exec-${req.id}-`));
    try {
      const file = path.join(dir, 'process.json');
      await writeFile(file, JSON.stringify(req.process));
      const args = ['exec', '--process', file];
      if (req.detach) args.push('--detach');
      if (req.pidFile) args.push('--pid-file', req.pidFile);
      if (req.consoleSocket) args.push('--console-socket', req.consoleSocket);
      if (req.detach) await this.runDetached([...args, req.id], call);
      else await this.run([...args, req.id], call);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async pause(id: string, call?: CallOptions): Promise<void> {
    this.check(id);
    await this.run(['pause', id], call);
  }

  async resume(id: string, call?: CallOptions): Promise<void> {
    this.check(id);
    await this.run(['resume', id], call);
  }

  async update(id: string, resources: Readonly<Record<string, unknown>>, call?: CallOptions): Promise<void> {
    this.check(id);
    await this.run(['update', '--resources', '-', id], { ...call, input: JSON.stringify(resources) });
  }

  /** `<runtime> events`: one JSON object per line until the container is gone or the call aborts. */
  async *events(id: string, call: CallOptions = {}): AsyncIterable<RuntimeEvent> {
    this.check(id);
    const child = spawn(this.opts.path, [...this.globalArgs, 'events', '--interval', '1s', id], { stdio: ['ignore', 'pipe', 'ignore'], signal: call.signal });
    child.on('error', () => undefined);
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as { type: string; id: string; data?: Record<string, unknown> };
        yield { type: e.type, id: e.id, ...(e.data ? { data: e.data } : {}) };
      }
    } finally {
      child.kill();
    }
  }
}
