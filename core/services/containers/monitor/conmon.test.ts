/** conmon + runc for real: output through the attach socket, stdin, exit files, exec sessions. */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalSpec } from '@keel/sdk/testkit';
import { CliRuntime } from '@keel/sdk/oci-cli';
import { Conmon } from './conmon.js';
import { connectAttach, type OutputStream } from './attach-socket.js';

const conmonPath = '/usr/bin/conmon';
const runcPath = '/usr/sbin/runc';
const reason = process.getuid?.() !== 0 ? 'needs root' : !existsSync(conmonPath) ? 'conmon is not installed' : !existsSync(runcPath) ? 'runc is not installed' : undefined;

async function until(fn: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await fn()) return true;
  return false;
}

describe.skipIf(!!reason)('conmon monitor', () => {
  let dir: string;
  let runtime: CliRuntime;
  const conmon = new Conmon(conmonPath);
  const parent = `keel-monitor-test-${process.pid}`;
  const ids: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-monitor-'));
    runtime = new CliRuntime({ path: runcPath, root: path.join(dir, 'runc'), capabilities: { cgroupVersions: [1], pause: true, update: true } });
  });
  afterAll(async () => {
    for (const id of ids) await runtime.delete(id, { force: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    for (const c of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) await rmdir(path.join('/sys/fs/cgroup', c, parent)).catch(() => undefined);
  });

  async function container(args: string[], opts: { tty?: boolean; stdin?: boolean } = {}) {
    const id = `km${process.pid}x${++seq}`;
    ids.push(id);
    const bundle = path.join(dir, id);
    await mkdir(path.join(bundle, 'rootfs/bin'), { recursive: true });
    for (const d of ['proc', 'dev', 'sys', 'tmp']) await mkdir(path.join(bundle, 'rootfs', d));
    await copyFile('/bin/busybox', path.join(bundle, 'rootfs/bin/busybox'));
    for (const a of ['sh', 'cat', 'sleep', 'echo']) await symlink('busybox', path.join(bundle, 'rootfs/bin', a));
    const spec = minimalSpec(args, `/${parent}/${id}`) as { process: { terminal: boolean }; mounts: object[] };
    spec.process.terminal = !!opts.tty;
    spec.mounts.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] });
    await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
    const exitDir = path.join(dir, 'exits');
    await mkdir(exitDir, { recursive: true });
    const created = await conmon.create({
      id, name: id, bundle, persistDir: bundle, exitDir, logPath: path.join(bundle, 'ctr.log'), runtimePath: runcPath,
      runtimeArgs: ['--root', path.join(dir, 'runc')], tty: !!opts.tty, stdin: !!opts.stdin, leaveStdinOpen: false,
    });
    return { id, bundle, exitFile: path.join(exitDir, id), pid: created.pid };
  }

  function collect() {
    const out: Record<OutputStream, string> = { stdout: '', stderr: '' };
    let ended = false;
    return { out, ended: () => ended, handlers: { onOutput: (s: OutputStream, d: Buffer) => (out[s] += d.toString()), onEnd: () => (ended = true) } };
  }

  it('creates, attaches before start, separates stdout and stderr, and records the exit code', async () => {
    const c = await container(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(c.pid).toBeGreaterThan(0);
    expect((await runtime.state(c.id))?.status).toBe('created');
    const got = collect();
    await connectAttach(c.bundle, got.handlers);
    await runtime.start(c.id);
    expect(await until(() => got.ended())).toBe(true);
    expect(got.out).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    expect(await until(() => existsSync(c.exitFile))).toBe(true);
    expect(await readFile(c.exitFile, 'utf8')).toBe('3');
    expect(await readFile(path.join(c.bundle, 'exit'), 'utf8')).toBe('3');
    const log = await readFile(path.join(c.bundle, 'ctr.log'), 'utf8');
    expect(log).toMatch(/^\S+ stdout F out\n/m);
    expect(log).toMatch(/^\S+ stderr F err\n/m);
  });

  it('passes stdin through and closes it on half-close', async () => {
    const c = await container(['/bin/cat'], { stdin: true });
    const got = collect();
    const conn = await connectAttach(c.bundle, got.handlers);
    await runtime.start(c.id);
    conn.write(Buffer.from('hello stdin\n'));
    conn.endInput();
    expect(await until(() => got.ended())).toBe(true);
    expect(got.out.stdout).toBe('hello stdin\n');
    expect(await until(() => existsSync(c.exitFile))).toBe(true);
    expect(await readFile(c.exitFile, 'utf8')).toBe('0');
  });

  it('gives a TTY container a terminal', async () => {
    const c = await container(['/bin/sh', '-c', 'test -t 0 && echo tty'], { tty: true });
    const got = collect();
    await connectAttach(c.bundle, got.handlers);
    await runtime.start(c.id);
    expect(await until(() => got.ended())).toBe(true);
    expect(got.out.stdout).toContain('tty');
  });

  it('runs attached exec sessions with their exit codes, and a failing exec reports the runtime error', async () => {
    const c = await container(['/bin/sleep', '30']);
    await runtime.start(c.id);
    const execDir = path.join(dir, `${c.id}-exec1`);
    await mkdir(execDir);
    const spec = path.join(execDir, 'process.json');
    await writeFile(spec, JSON.stringify({ args: ['/bin/sh', '-c', 'echo in-exec; exit 7'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, terminal: false }));
    const got = collect();
    const handle = await conmon.exec({ id: c.id, execId: 'exec1', dir: execDir, processSpec: spec, attach: true, tty: false, stdin: false, runtimePath: runcPath, runtimeArgs: ['--root', path.join(dir, 'runc')] },
      async () => void (await connectAttach(execDir, got.handlers)));
    expect(handle.pid).toBeGreaterThan(0);
    expect(await handle.exit).toBe(7);
    expect(await until(() => got.ended())).toBe(true);
    expect(got.out.stdout).toBe('in-exec\n');

    const badDir = path.join(dir, `${c.id}-exec2`);
    await mkdir(badDir);
    await writeFile(path.join(badDir, 'process.json'), JSON.stringify({ args: ['/nonexistent'], cwd: '/', env: [], user: { uid: 0, gid: 0 }, terminal: false }));
    await expect(conmon.exec({ id: c.id, execId: 'exec2', dir: badDir, processSpec: path.join(badDir, 'process.json'), attach: false, tty: false, stdin: false, runtimePath: runcPath, runtimeArgs: ['--root', path.join(dir, 'runc')] }))
      .rejects.toThrow(/nonexistent|no such file/i);
    await runtime.kill(c.id, 'SIGKILL');
  });

  it('reports a create failure with the runtime message', async () => {
    await expect(container(['/does-not-exist'])).rejects.toThrow(/does-not-exist.*no such file/);
    const bad = `km${process.pid}bad`;
    const bundle = path.join(dir, bad);
    await mkdir(bundle, { recursive: true });
    await writeFile(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { args: ['x'], cwd: '/' }, root: { path: 'missing-rootfs' } }));
    await expect(conmon.create({ id: bad, name: bad, bundle, persistDir: bundle, exitDir: path.join(dir, 'exits'), logPath: path.join(bundle, 'log'), runtimePath: runcPath, runtimeArgs: ['--root', path.join(dir, 'runc')], tty: false, stdin: false, leaveStdinOpen: false }))
      .rejects.toThrow(/.+/);
  });
});
