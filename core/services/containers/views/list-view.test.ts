import { describe, expect, it } from 'vitest';
import { testRecord } from '../test-records.js';
import { filterContainers, humanDuration, listEntry, statusText } from './list-view.js';

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('docker ps view', () => {
  it('prints durations as Go units.HumanDuration does', () => {
    expect(humanDuration(200)).toBe('Less than a second');
    expect(humanDuration(1000)).toBe('1 second');
    expect(humanDuration(45_000)).toBe('45 seconds');
    expect(humanDuration(70_000)).toBe('About a minute');
    expect(humanDuration(10 * 60_000)).toBe('10 minutes');
    expect(humanDuration(3600_000)).toBe('About an hour');
    expect(humanDuration(5 * 3600_000)).toBe('5 hours');
    expect(humanDuration(3 * 86400_000)).toBe('3 days');
    expect(humanDuration(21 * 86400_000)).toBe('3 weeks');
  });

  it('shows Created, Up (health, Paused), Exited (code) and Restarting', () => {
    expect(statusText(testRecord())).toBe('Created');
    expect(statusText(testRecord({ state: { Running: true, Status: 'running', StartedAt: ago(5000) } }))).toBe('Up 5 seconds');
    expect(statusText(testRecord({ state: { Running: true, Paused: true, StartedAt: ago(5000) } }))).toBe('Up 5 seconds (Paused)');
    expect(statusText(testRecord({ state: { Running: true, StartedAt: ago(5000), Health: { Status: 'starting', FailingStreak: 0, Log: [] } } }))).toBe('Up 5 seconds (health: starting)');
    expect(statusText(testRecord({ state: { Running: true, StartedAt: ago(5000), Health: { Status: 'healthy', FailingStreak: 0, Log: [] } } }))).toBe('Up 5 seconds (healthy)');
    expect(statusText(testRecord({ state: { Status: 'exited', ExitCode: 3, FinishedAt: ago(120_000) }, keel: { hasBeenStarted: true } }))).toBe('Exited (3) 2 minutes ago');
    expect(statusText(testRecord({ state: { Restarting: true, ExitCode: 1, FinishedAt: ago(2000) } }))).toBe('Restarting (1) 2 seconds ago');
  });

  it('lists Docker fields: full ID, slash names, image, command, unix Created', () => {
    const c = testRecord({ Name: '/web', Path: 'sh', Args: ['-c', 'echo hi'] });
    expect(listEntry(c)).toMatchObject({ Id: c.Id, Names: ['/web'], Image: 'busybox', ImageID: c.Image, Command: "sh -c 'echo hi'", Created: Math.floor(Date.parse(c.Created) / 1000), State: 'created', Status: 'Created' });
    expect(listEntry(c, { rw: 5, rootFs: 10 })).toMatchObject({ SizeRw: 5, SizeRootFs: 10 });
  });

  it('applies moby filters: status, name regexp, label, exited, ancestor, before/since, health; rejects bad values', () => {
    const a = testRecord({ Name: '/web-1', Config: { Image: 'busybox', Labels: { tier: 'front' } }, state: { Status: 'running', Running: true } });
    const b = testRecord({ Name: '/db', Config: { Image: 'busybox', Labels: { tier: 'back', x: '' } }, state: { Status: 'exited', ExitCode: 2 }, keel: { hasBeenStarted: true } });
    const c = testRecord({ Name: '/other', Image: 'sha256:' + 'ef'.repeat(32) });
    const all = [a, b, c];
    const ctx = { find: (r: string) => all.find((x) => x.Name === `/${r}` || x.Id === r), imageIds: (r: string) => (r === 'busybox' ? [a.Image] : []) };
    const names = (f: Record<string, string[]>) => filterContainers(all, f, ctx).map((x) => x.Name);
    expect(names({ status: ['running'] })).toEqual(['/web-1']);
    expect(names({ name: ['^web'] })).toEqual(['/web-1']);
    expect(names({ label: ['tier=back'] })).toEqual(['/db']);
    expect(names({ label: ['x'] })).toEqual(['/db']);
    expect(names({ exited: ['2'] })).toEqual(['/db']);
    expect(names({ ancestor: ['busybox'] })).toEqual(['/web-1', '/db']);
    expect(names({ since: ['web-1'] })).toEqual(['/db', '/other']);
    expect(names({ before: ['other'] })).toEqual(['/web-1', '/db']);
    expect(names({ health: ['none'] })).toEqual(['/web-1', '/db', '/other']);
    expect(() => names({ status: ['sleeping'] })).toThrow(/invalid filter 'status=sleeping'/);
    expect(() => names({ exited: ['x'] })).toThrow(/invalid filter 'exited=x'/);
    expect(() => names({ before: ['ghost'] })).toThrow(/No such container: ghost/);
  });
});
