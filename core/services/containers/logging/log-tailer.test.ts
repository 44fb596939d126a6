import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '@keel/sdk';
import { criEntry, loadPosition, LogTailer } from './log-tailer.js';

const text = (es: LogEntry[]) => es.map((e) => `${e.stream}:${Buffer.from(e.line).toString()}${e.partial ? '' : '|'}`).join('');
const until = async (fn: () => boolean) => {
  for (let i = 0; i < 100 && !fn(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('monitor log tailing', () => {
  let dir: string;
  let file: string;
  let pos: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-tail-'));
    file = path.join(dir, 'monitor.log');
    pos = path.join(dir, 'log.position');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('turns CRI lines into driver entries with exact nanosecond times', () => {
    expect(criEntry(Buffer.from('2026-11-23T10:00:00.123456789+01:00 stdout F hello'))).toEqual({ stream: 'stdout', timeNano: '1795424400123456789', line: Buffer.from('hello') });
    expect(criEntry(Buffer.from('2026-11-23T09:00:00Z stderr P part'))).toMatchObject({ stream: 'stderr', partial: true, timeNano: '1795424400000000000' });
    expect(Buffer.from(criEntry(Buffer.from('2026-11-23T09:00:00Z stdout F '))!.line).toString()).toBe('');
    expect(criEntry(Buffer.from('not a log line'))).toBeUndefined();
  });

  it('delivers what exists and what comes, saves its position, and resumes from it', async () => {
    await writeFile(file, '2026-01-01T00:00:01Z stdout F one\n2026-01-01T00:00:02Z stderr P tw');
    const got: LogEntry[] = [];
    const t = new LogTailer(file, pos, async (es) => void got.push(...es), () => undefined);
    await t.start();
    await until(() => got.length === 1);
    await appendFile(file, 'o\n2026-01-01T00:00:03Z stdout F three\n');
    await until(() => got.length === 2);
    await t.drainAndStop();
    // A P line waits for its end; at stop it is handed on as a fragment.
    expect(text(got)).toBe('stdout:one|stdout:three|stderr:two');
    await appendFile(file, '2026-01-01T00:00:04Z stdout F four\n');
    const again: LogEntry[] = [];
    const t2 = new LogTailer(file, pos, async (es) => void again.push(...es), () => undefined);
    await t2.start();
    await t2.drainAndStop();
    expect(text(again)).toBe('stdout:four|');
    expect((await loadPosition(pos))!.offset).toBeGreaterThan(0);
  });

  it('picks up a file the monitor creates after the tailer started, then follows it by inotify', async () => {
    const got: LogEntry[] = [];
    const t = new LogTailer(file, pos, async (es) => void got.push(...es), () => undefined);
    await t.start();
    await writeFile(file, '2026-01-01T00:00:01Z stdout F first\n');
    await until(() => got.length === 1);
    await appendFile(file, '2026-01-01T00:00:02Z stdout F second\n');
    await until(() => got.length === 2); // well before the 30 s recheck: the watch woke it
    await t.drainAndStop();
    expect(text(got)).toBe('stdout:first|stdout:second|');
  });

  it('follows the monitor to its new file after a rotation, finishing the old one first', async () => {
    await writeFile(file, '2026-01-01T00:00:01Z stdout F a\n');
    const got: LogEntry[] = [];
    const warnings: string[] = [];
    const t = new LogTailer(file, pos, async (es) => void got.push(...es), (w) => warnings.push(w));
    await t.start();
    await until(() => got.length === 1);
    await appendFile(file, '2026-01-01T00:00:02Z stdout F b\n');
    await rename(file, `${file}.old`);
    await writeFile(file, '2026-01-01T00:00:03Z stdout F c\n');
    await until(() => got.length === 3);
    await t.drainAndStop();
    expect(text(got)).toBe('stdout:a|stdout:b|stdout:c|');
    expect(warnings).toEqual([]);
  });

  it('says so when the file was replaced while nobody was reading', async () => {
    await writeFile(pos, JSON.stringify({ ino: 1, offset: 100 }));
    await writeFile(file, '2026-01-01T00:00:01Z stdout F new\n');
    const got: LogEntry[] = [];
    const warnings: string[] = [];
    const t = new LogTailer(file, pos, async (es) => void got.push(...es), (w) => warnings.push(w));
    await t.start();
    await t.drainAndStop();
    expect(text(got)).toBe('stdout:new|');
    expect(warnings.join()).toMatch(/rotated its log while the daemon was away/);
  });
});

describe('line assembly', () => {
  it("joins the monitor's fragments into whole lines and cuts only lines over 16 KiB", async () => {
    const { LineAssembler } = await import('./log-tailer.js');
    const a = new LineAssembler();
    const out: LogEntry[] = [];
    const e = (stream: 'stdout' | 'stderr', line: string, partial = false, t = '1'): LogEntry => ({ stream, timeNano: t, line: Buffer.from(line), ...(partial ? { partial } : {}) });
    a.push(e('stdout', 'ab', true, '1'), out);
    a.push(e('stderr', 'err', false, '2'), out);
    a.push(e('stdout', 'cd', false, '3'), out);
    expect(out.map((x) => [x.stream, Buffer.from(x.line).toString(), !!x.partial, x.timeNano])).toEqual([['stderr', 'err', false, '2'], ['stdout', 'abcd', false, '1']]);
    const big: LogEntry[] = [];
    a.push(e('stdout', 'x'.repeat(10_000), true), big);
    a.push(e('stdout', 'y'.repeat(10_000), false), big);
    expect(big.map((x) => [x.line.length, !!x.partial])).toEqual([[16384, true], [3616, false]]);
  });
});
