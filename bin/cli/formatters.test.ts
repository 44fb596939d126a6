import type { PluginInfo } from '@keel/sdk';
import { describe, expect, it } from 'vitest';
import { formatEvent } from './commands/events.js';
import { imageRows } from './commands/image.js';
import { formatInfo } from './commands/info.js';
import { filterPlugins } from './commands/plugin.js';
import { dfRows, serverLabel } from './commands/system.js';
import { clientVersion, formatClient, formatServer } from './commands/version.js';
import { ProgressRenderer } from './progress.js';

describe('events', () => {
  const e = { Type: 'daemon', Action: 'reload', Actor: { ID: 'd1', Attributes: { name: 'vm', debug: 'false' } }, time: 1795415987, timeNano: 1795415987123456789 };

  it('prints every nanosecond digit from the raw line, and sorts attributes', () => {
    const raw = JSON.stringify(e).replace(/"timeNano":\d+/, '"timeNano":1795415987123456789');
    expect(formatEvent(e, raw)).toBe('2026-11-23T06:39:47.123456789Z daemon reload d1 (debug=false, name=vm)\n');
  });

  it('falls back to microseconds from the parsed number, then to seconds', () => {
    expect(formatEvent(e)).toBe('2026-11-23T06:39:47.123457000Z daemon reload d1 (debug=false, name=vm)\n');
    expect(formatEvent({ Type: 'image', Action: 'load', Actor: { ID: 'x' }, time: 1 })).toBe('1970-01-01T00:00:01.000000000Z image load x\n');
  });
});

describe('version and info', () => {
  it('prints the client half with Go-style architecture names', () => {
    const c = clientVersion('1.2.3');
    expect(c).toMatchObject({ Version: '1.2.3', ApiVersion: '1.47', NodeVersion: process.version });
    expect(c.Arch).not.toBe('x64');
    expect(formatClient(c)).toMatch(/^Client:\n Version:\s+1\.2\.3\n API version:\s+1\.47\n/);
  });

  it('prints the server half from /version', () => {
    const text = formatServer({ Version: '0.1.0', ApiVersion: '1.47', MinAPIVersion: '1.40', Os: 'linux', Arch: 'amd64', KernelVersion: '6.1', GitCommit: 'abc', BuildTime: 't', Platform: { Name: 'keel Engine' } });
    expect(text).toMatch(/^\nServer: keel Engine\n Engine:\n  Version:\s+0\.1\.0\n/);
    expect(text).toMatch(/ API version:\s+1\.47 \(minimum version 1\.40\)\n/);
    expect(text).toMatch(/ OS\/Arch:\s+linux\/amd64\n/);
    expect(text).toMatch(/ Git commit:\s+abc\n/);
    expect(text).toMatch(/ Experimental:\s+false\n$/);
  });

  it('prints every other server component with its sorted details, like docker', () => {
    const text = formatServer({ Version: '0.1.0', Components: [
      { Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.47' } },
      { Name: 'runc', Version: '1.2.4', Details: { GitCommit: 'v1.2.4-0-g6c52b3f', Arch: 'amd64' } },
    ] });
    expect(text).toContain(' runc:\n  Version:   1.2.4\n  Arch:      amd64\n  GitCommit: v1.2.4-0-g6c52b3f\n');
    expect(text).not.toMatch(/ Engine:[^]* Engine:/);
  });

  it('names the server from the ping Server header', () => {
    expect(serverLabel('Docker/keel-0.1.0 (linux)')).toBe('keeld 0.1.0');
    expect(serverLabel('keel/0.2.0')).toBe('keeld 0.2.0');
    expect(serverLabel('Docker/28.0.1 (linux)')).toBe('dockerd 28.0.1');
    expect(serverLabel('nginx')).toBe('nginx');
    expect(serverLabel(undefined)).toBe('unknown server');
  });

  it('prints info like docker, with human memory and CPUs', () => {
    const text = formatInfo({ Containers: 3, ContainersRunning: 1, ContainersPaused: 0, ContainersStopped: 2, NCPU: 8, MemTotal: 25_275_379_712, Driver: 'overlay2', Plugins: { Volume: ['local'], Network: ['bridge', 'host'], Log: ['json-file'] }, Runtimes: { runc: {}, crun: {} }, DefaultRuntime: 'runc' }, '0.1.0');
    expect(text).toContain('\nServer:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n');
    expect(text).toContain(' CPUs: 8\n Total Memory: 23.54GiB\n');
    expect(text).toContain('  Network: bridge host\n');
    expect(text).toContain(' Runtimes: runc crun\n Default Runtime: runc\n');
    expect(text).not.toMatch(/ \n/);
  });
});

describe('plugins, df, images, progress', () => {
  const plugins = [
    { id: 'storage.overlay2', kind: 'storage', name: 'overlay2', status: 'skipped', required: false },
    { id: 'storage.vfs', kind: 'storage', name: 'vfs', status: 'running', required: false },
    { id: 'core.system', kind: 'service', name: 'core.system', status: 'running', required: true },
  ] as unknown as PluginInfo[];

  it('filters plugins: OR within a key, AND across keys', () => {
    expect(filterPlugins(plugins, ['kind=storage']).map((p) => p.id)).toEqual(['storage.overlay2', 'storage.vfs']);
    expect(filterPlugins(plugins, ['kind=storage', 'status=running']).map((p) => p.id)).toEqual(['storage.vfs']);
    expect(filterPlugins(plugins, ['status=skipped', 'status=running'])).toHaveLength(3);
    expect(() => filterPlugins(plugins, ['colour=red'])).toThrow(/invalid filter "colour=red": use status=, kind=, name=, id=/);
  });

  it('sums disk usage per type, trusting LayersSize for shared layers', () => {
    expect(dfRows({ LayersSize: 5_000_000, Images: [{ Size: 4_000_000 }, { Size: 4_000_000 }], Containers: [{ SizeRw: 1000 }, {}], Volumes: [{ UsageData: { Size: -1 } }, { UsageData: { Size: 2000 } }], BuildCache: [] }))
      .toEqual([['Images', '2', '5MB'], ['Containers', '2', '1kB'], ['Local Volumes', '2', '2kB'], ['Build Cache', '0', '0B']]);
  });

  it('lists one row per tag and <none> for untagged images', () => {
    const rows = imageRows([{ Id: `sha256:${'a'.repeat(64)}`, RepoTags: ['busybox:latest', 'localhost:5000/x:1'], Created: 0, Size: 1000 }, { Id: `sha256:${'b'.repeat(64)}`, RepoTags: [], Created: 0, Size: 0 }], false);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([['busybox', 'latest', 'aaaaaaaaaaaa'], ['localhost:5000/x', '1', 'aaaaaaaaaaaa'], ['<none>', '<none>', 'bbbbbbbbbbbb']]);
  });

  it('renders progress, and turns in-band errors into exceptions', () => {
    let out = '';
    const r = new ProgressRenderer((s) => (out += s), false);
    r.render({ id: 'abc', status: 'Loading layer', progressDetail: { current: 0, total: 10 }, progress: '[>  ] 0B/10B' });
    r.render({ id: 'abc', status: 'Loading layer', progressDetail: { current: 10, total: 10 }, progress: '[===] 10B/10B' });
    r.render({ stream: 'Loaded image: x:latest\n' });
    expect(out).toBe('abc: Loading layer [===] 10B/10B\nLoaded image: x:latest\n');
    expect(() => r.render({ errorDetail: { message: 'bad tar' }, error: 'bad tar' })).toThrow('bad tar');
  });
});
