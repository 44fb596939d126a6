/**
 * Volumes, mounts and log drivers through the real docker CLI: named, anonymous, bind and tmpfs
 * mounts (data survives, `:ro` enforced, tmpfs size, copy-up, in-use refusal, --volumes-from);
 * json-file rotation under 50 MB of output, `log.none`, and syslog/gelf/fluentd delivery to
 * listeners on 127.0.0.1.
 */
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerSkip as skip, sleep, useContainerDaemon } from './container-daemon.js';

describe.skipIf(!!skip)(`containers: volumes, mounts and log drivers${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const c = useContainerDaemon();
  const { ok, inspect, docker } = c;
  let hostDir: string;

  beforeAll(async () => {
    hostDir = await mkdtemp(path.join(tmpdir(), 'keel-bind-'));
  });
  afterAll(async () => {
    await rm(hostDir, { recursive: true, force: true });
  });

  it('keeps named-volume data across containers, enforces :ro, refuses removing a volume in use', async () => {
    await ok(['run', '--rm', '-v', 'data1:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
    expect(await ok(['run', '--rm', '-v', 'data1:/data', 'busybox', 'cat', '/data/f'])).toBe('kept\n');
    const ro = await docker(['run', '--rm', '-v', 'data1:/data:ro', 'busybox', 'touch', '/data/x']);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const id = (await ok(['create', '-v', 'data1:/data', 'busybox', 'true'])).trim();
    const inUse = await docker(['volume', 'rm', 'data1']);
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toContain(id.slice(0, 12));
    const mounts = (await inspect(id)).Mounts;
    expect(mounts).toEqual([expect.objectContaining({ Type: 'volume', Name: 'data1', Destination: '/data', RW: true })]);
    await ok(['rm', id]);
    await ok(['volume', 'rm', 'data1']);
  });

  it('creates anonymous volumes, removes them with rm -v and --rm, and copies image content into new volumes', async () => {
    const id = (await ok(['create', '-v', '/anon', 'busybox', 'true'])).trim();
    const anon = (await inspect(id)).Mounts[0].Name as string;
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    expect(await ok(['volume', 'ls', '-q'])).toContain(anon);
    await ok(['rm', '-v', id]);
    expect(await ok(['volume', 'ls', '-q'])).not.toContain(anon);
    expect(await ok(['run', '--rm', '-v', 'etcvol:/etc', 'busybox', 'cat', '/etc/group'])).toMatch(/^root:x:0:/);
    await ok(['volume', 'rm', 'etcvol']);
  });

  it('bind-mounts host directories both ways and shares volumes with --volumes-from', async () => {
    await ok(['run', '--rm', '-v', `${hostDir}:/host`, 'busybox', 'sh', '-c', 'echo from-container > /host/out']);
    expect(readFileSync(path.join(hostDir, 'out'), 'utf8')).toBe('from-container\n');
    await ok(['create', '--name', 'src', '-v', 'shared1:/shared', 'busybox', 'true']);
    await ok(['run', '--rm', '--volumes-from', 'src', 'busybox', 'sh', '-c', 'echo via-from > /shared/f']);
    expect(await ok(['run', '--rm', '-v', 'shared1:/s', 'busybox', 'cat', '/s/f'])).toBe('via-from\n');
    const roFrom = await docker(['run', '--rm', '--volumes-from', 'src:ro', 'busybox', 'touch', '/shared/g']);
    expect(roFrom.stderr).toMatch(/Read-only file system/);
    await ok(['rm', 'src']);
    await ok(['volume', 'rm', 'shared1']);
  });

  it('docker cp into a running container lands in its volume (not in the rootfs under it), and back out', async () => {
    await ok(['run', '-d', '--name', 'cpvol', '-v', 'cpdata:/data', '-v', `${hostDir}:/hostdir:ro`, 'busybox', 'sleep', '300']);
    const src = path.join(hostDir, 'cp-in.txt');
    await writeFile(src, 'copied-in\n');
    await ok(['cp', src, 'cpvol:/data/']);
    expect(await ok(['exec', 'cpvol', 'cat', '/data/cp-in.txt'])).toBe('copied-in\n');
    await ok(['cp', src, 'cpvol:/data']);
    await ok(['cp', src, 'cpvol:/data/renamed.txt']);
    expect(await ok(['exec', 'cpvol', 'ls', '/data'])).toBe('cp-in.txt\nrenamed.txt\n');
    const ro = await docker(['cp', src, 'cpvol:/hostdir/']);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/read-only/);
    const out = path.join(hostDir, 'cp-out');
    await ok(['cp', 'cpvol:/data/cp-in.txt', out]);
    expect(readFileSync(out, 'utf8')).toBe('copied-in\n');
    await ok(['rm', '-f', 'cpvol']);
    expect(await ok(['run', '--rm', '-v', 'cpdata:/d', 'busybox', 'cat', '/d/renamed.txt'])).toBe('copied-in\n');
    await ok(['volume', 'rm', 'cpdata']);
  });

  it('mounts tmpfs with its size (--tmpfs and --mount type=tmpfs)', async () => {
    const out = await ok(['run', '--rm', '--tmpfs', '/t1:size=1m', '--mount', 'type=tmpfs,dst=/t2,tmpfs-size=2097152', 'busybox', 'sh', '-c', 'grep -E " /t[12] " /proc/mounts']);
    expect(out).toMatch(/^tmpfs \/t1 tmpfs .*size=1024k/m);
    expect(out).toMatch(/^tmpfs \/t2 tmpfs .*size=2048k/m);
  });

  it('rotates json-file logs: 50 MB with max-size=1m,max-file=3 leaves 3 files and the newest lines intact', async () => {
    const id = (await ok(['run', '-d', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=3', 'busybox', 'awk',
      'BEGIN { s = sprintf("%1000s", ""); gsub(/ /, "x", s); for (i = 0; i < 50000; i++) print s " line" i }'])).trim();
    expect((await docker(['wait', id], { timeoutMs: 120_000 })).stdout.trim()).toBe('0');
    const logPath = (await inspect(id)).LogPath as string;
    const files = readdirSync(path.dirname(logPath)).filter((f) => f.startsWith(path.basename(logPath)));
    expect(files.length).toBeLessThanOrEqual(3);
    const tail = await ok(['logs', '--tail', '1', id]);
    expect(tail).toMatch(/^x{1000} line49999\n$/);
    const last = (await ok(['logs', '--tail', '500', id])).split('\n').filter(Boolean);
    expect(last).toEqual(Array.from({ length: 500 }, (_, i) => `${'x'.repeat(1000)} line${49500 + i}`));
    await ok(['rm', id]);
  });

  it('log.none: docker logs fails with Docker message; daemon defaults apply to new containers', async () => {
    const id = (await ok(['run', '-d', '--log-driver', 'none', 'busybox', 'echo', 'nothing'])).trim();
    await docker(['wait', id]);
    const r = await docker(['logs', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/configured logging driver does not support reading/);
    expect((await inspect(id)).HostConfig.LogConfig.Type).toBe('none');
    const bad = await docker(['run', '--rm', '--log-opt', 'bogus=1', 'busybox', 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/unknown log opt 'bogus'/);
    await ok(['rm', id]);
  });

  it('delivers to syslog (udp), gelf (udp, gzip) and fluentd (tcp) listeners on 127.0.0.1', async () => {
    const syslog = dgram.createSocket('udp4');
    const gelf = dgram.createSocket('udp4');
    const got: { syslog: string[]; gelf: Array<Record<string, unknown>>; fluentd: Buffer[] } = { syslog: [], gelf: [], fluentd: [] };
    syslog.on('message', (m) => got.syslog.push(m.toString()));
    gelf.on('message', (m) => got.gelf.push(JSON.parse(gunzipSync(m).toString())));
    const fluent = net.createServer((s) => s.on('data', (d) => got.fluentd.push(d)));
    await Promise.all([new Promise<void>((r) => syslog.bind(0, '127.0.0.1', r)), new Promise<void>((r) => gelf.bind(0, '127.0.0.1', r)), new Promise<void>((r) => fluent.listen(0, '127.0.0.1', r))]);
    try {
      const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
      await ok(['run', '--rm', '--log-driver', 'syslog', '--log-opt', `syslog-address=udp://127.0.0.1:${port(syslog)}`, '--log-opt', 'tag=sys-{{.Name}}', '--name', 'sl', 'busybox', 'echo', 'to-syslog']);
      await ok(['run', '--rm', '--log-driver', 'gelf', '--log-opt', `gelf-address=udp://127.0.0.1:${port(gelf)}`, 'busybox', 'echo', 'to-gelf']);
      await ok(['run', '--rm', '--log-driver', 'fluentd', '--log-opt', `fluentd-address=tcp://127.0.0.1:${port(fluent)}`, 'busybox', 'echo', 'to-fluentd']);
      for (let i = 0; i < 50 && (!got.syslog.length || !got.gelf.length || !got.fluentd.length); i++) await sleep(100);
      expect(got.syslog.join('\n')).toMatch(/sys-sl.*to-syslog/);
      expect(got.gelf[0]).toMatchObject({ version: '1.1', short_message: 'to-gelf' });
      expect(Buffer.concat(got.fluentd).includes(Buffer.from('to-fluentd'))).toBe(true);
    } finally {
      syslog.close();
      gelf.close();
      fluent.close();
    }
  });

  it('keeps logs across a daemon restart, collecting what was written while it was down', async () => {
    await ok(['run', '-d', '--name', 'lr', 'busybox', 'sh', '-c', 'echo before; sleep 2; echo during; sleep 300']);
    await sleep(300);
    await c.killDaemon();
    await sleep(2500);
    await c.startAgain();
    for (let i = 0; i < 30 && !(await ok(['logs', 'lr'])).includes('during'); i++) await sleep(100);
    expect(await ok(['logs', 'lr'])).toBe('before\nduring\n');
    await ok(['rm', '-f', 'lr']);
  });
});
