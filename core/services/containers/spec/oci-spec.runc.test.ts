/**
 * The generated spec, run for real by runc: Docker's default capabilities, seccomp, masked paths,
 * read-only /sys and cgroup limits must hold inside the container.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupLayout, findBinary } from '@keel/sdk/oci-cli';
import { buildOciSpec } from './oci-spec.js';

const run = promisify(execFile);
const runc = await findBinary(['/usr/sbin/runc', '/usr/bin/runc']);
const busybox = await findBinary(['/bin/busybox', '/usr/bin/busybox']);
const why = process.getuid?.() !== 0 ? 'needs root' : !runc ? 'runc is not installed' : !busybox ? 'busybox is not installed' : undefined;
if (why) console.warn(`OCI spec under runc: skipped: ${why}`);
const parent = `keel-spec-${process.pid}`;

describe.skipIf(!!why)('OCI spec under runc', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    for (const c of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) await rmdir(path.join('/sys/fs/cgroup', c, parent)).catch(() => undefined);
  });

  it('gives the container Docker\'s defaults and the requested limits', async () => {
    const b = await mkdtemp(path.join(os.tmpdir(), 'keel-spec-'));
    dirs.push(b);
    await mkdir(path.join(b, 'rootfs/bin'), { recursive: true });
    for (const d of ['proc', 'dev', 'sys', 'etc']) await mkdir(path.join(b, 'rootfs', d));
    await copyFile(busybox!, path.join(b, 'rootfs/bin/busybox'));
    for (const a of ['sh', 'id', 'cat', 'grep', 'hostname', 'wc', 'head']) await symlink('busybox', path.join(b, 'rootfs/bin', a));
    const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n';
    await writeFile(path.join(b, 'rootfs/etc/passwd'), passwd);
    const limitFile = (await cgroupLayout()) === 'v2' ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes';
    const script = `id -u; grep -E "^(CapEff|Seccomp):" /proc/self/status; cat /proc/kcore | head -c 5 | wc -c; hostname; cat ${limitFile}; echo x > /sys/x || echo sys-ro`;
    const spec = buildOciSpec({ Cmd: ['/bin/sh', '-c', script], User: 'app', Hostname: 'spec-test' }, { Memory: 64 << 20, NetworkMode: 'none' },
      { id: 'e'.repeat(64), image: {}, passwd, group: '', goArch: 'amd64', kernel: os.release(), cgroupsPath: `/${parent}/c1` });
    // Reading /proc/self/status needs no capability; id -u shows the user mapping worked.
    await writeFile(path.join(b, 'config.json'), JSON.stringify(spec));
    const { stdout } = await run(runc!, ['--root', path.join(b, 'state'), 'run', '--bundle', b, `kspec-${process.pid}`]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('1000');
    expect(lines).toContain('CapEff:\t0000000000000000'); // a non-root user keeps no effective capabilities
    expect(lines).toContain('Seccomp:\t2');
    expect(lines).toContain('0'); // /proc/kcore is masked: nothing to read
    expect(lines).toContain('spec-test');
    expect(lines).toContain(String(64 << 20));
    expect(lines.at(-1)).toBe('sys-ro');
  });
});
