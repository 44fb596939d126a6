import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCriLine, readLog, type LogEntry } from './cri-log.js';

const collect = async (it: AsyncIterable<LogEntry>) => {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
};

describe('CRI log reading', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-crilog-'));
    file = path.join(dir, 'ctr.log');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('parses full and partial lines and normalises the time to UTC nanoseconds', () => {
    expect(parseCriLine('2026-11-23T10:00:00.123456789+01:00 stdout F hello')).toEqual({ stream: 'stdout', time: '2026-11-23T09:00:00.123456789Z', seconds: Date.UTC(2026, 10, 23, 9) / 1000 + 0.123456789, text: 'hello\n' });
    expect(parseCriLine('2026-11-23T09:00:00Z stderr P part')).toMatchObject({ stream: 'stderr', text: 'part', time: '2026-11-23T09:00:00.000000000Z' });
    expect(parseCriLine('2026-11-23T09:00:00Z stdout F ')).toMatchObject({ text: '\n' });
    expect(parseCriLine('garbage')).toBeUndefined();
    expect(parseCriLine('2026-11-23T09:00:00Z stdin F x')).toBeUndefined();
  });

  it('selects streams, since/until and tail', async () => {
    await writeFile(file, [
      '2026-01-01T00:00:01Z stdout F one', '2026-01-01T00:00:02Z stderr F two', '2026-01-01T00:00:03Z stdout P thr',
      '2026-01-01T00:00:03Z stdout F ee', 'not a log line', '2026-01-01T00:00:04Z stdout F four', '',
    ].join('\n'));
    const t = (s: number) => Date.UTC(2026, 0, 1, 0, 0, s) / 1000;
    const text = async (o: Partial<Parameters<typeof readLog>[1]>) => (await collect(readLog(file, { stdout: true, stderr: true, follow: false, ...o }))).map((e) => e.text).join('');
    expect(await text({})).toBe('one\ntwo\nthree\nfour\n');
    expect(await text({ stderr: false })).toBe('one\nthree\nfour\n');
    expect(await text({ stdout: false })).toBe('two\n');
    expect(await text({ since: t(2), until: t(3) })).toBe('two\nthree\n');
    expect(await text({ tail: 2 })).toBe('ee\nfour\n');
    expect(await text({ tail: 0 })).toBe('');
    expect(await collect(readLog(path.join(dir, 'missing'), { stdout: true, stderr: true, follow: false }))).toEqual([]);
  });

  it('follows new lines until the container stops, after a tail', async () => {
    await writeFile(file, '2026-01-01T00:00:01Z stdout F old1\n2026-01-01T00:00:02Z stdout F old2\n');
    let alive = true;
    const got: string[] = [];
    const done = (async () => {
      for await (const e of readLog(file, { stdout: true, stderr: true, follow: true, tail: 1, alive: () => alive })) got.push(e.text);
    })();
    await new Promise((r) => setTimeout(r, 100));
    await appendFile(file, '2026-01-01T00:00:03Z stdout F new\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(got).toEqual(['old2\n', 'new\n']);
    await appendFile(file, '2026-01-01T00:00:04Z stdout F last\n');
    alive = false;
    await done;
    expect(got).toEqual(['old2\n', 'new\n', 'last\n']);
  });

  it('stops following when the signal aborts', async () => {
    await writeFile(file, '');
    const ac = new AbortController();
    const done = collect(readLog(file, { stdout: true, stderr: true, follow: true, alive: () => true, signal: ac.signal }));
    setTimeout(() => ac.abort(), 50);
    expect(await done).toEqual([]);
  });
});
