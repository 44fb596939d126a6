/**
 * The log driver conformance suite: what every {@link LogDriver} must do, as vitest cases named
 * after the clauses of the contract. Readable drivers are checked through `read`; the others
 * through what their receiver got (`fixture.received`). Import it from test files only (it
 * imports vitest).
 *
 * @example
 * ```ts
 * describeLogDriverConformance('json-file', async () => {
 *   const dir = await mkdtemp(path.join(tmpdir(), 'log-'));
 *   return { driver: new MyDriver(), info: (options = {}) => ({ ...BASE_INFO, options, logDirectory: dir }),
 *            cleanup: () => rm(dir, { recursive: true, force: true }) };
 * });
 * ```
 * @packageDocumentation
 */
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogDriver, LogEntry, LogInfo } from '../drivers/log.js';
import { EngineError } from '../errors.js';

/** One entry as a receiver saw it (network drivers lose partial flags and nanoseconds). */
export interface ReceivedLogLine {
  readonly stream?: 'stdout' | 'stderr';
  readonly line: string;
}

/** What a conformance factory returns. */
export interface LogDriverFixture {
  readonly driver: LogDriver;
  /** A LogInfo for the case's container (a fresh private `logDirectory`), with `options`. */
  info(options?: Record<string, string>): LogInfo;
  /** Network drivers: every line the receiver got so far, in arrival order. */
  received?(): Promise<ReceivedLogLine[]>;
  /** Stops receivers and removes directories; runs even after a failed case. */
  cleanup(): Promise<void>;
}

/** Options of {@link describeLogDriverConformance}. */
export interface LogConformanceOptions {
  /** The driver accepts any option (Docker's `none`): skip the unknown-key case. */
  readonly acceptsAnyOptions?: boolean;
  /** The driver rotates with `max-size`/`max-file`/`compress` (json-file, local). */
  readonly rotation?: boolean;
}

const T0 = 1_700_000_000n * 1_000_000_000n;
/** Entry `i`: one per millisecond after T0 (+123.456 µs, clear of float rounding), alternating streams, every 7th partial. */
export function sampleEntry(i: number, text = `line ${i}`): LogEntry {
  return { stream: i % 2 ? 'stderr' : 'stdout', timeNano: (T0 + BigInt(i) * 1_000_000n + 123_456n).toString(), line: Buffer.from(text), ...(i % 7 === 6 ? { partial: true } : {}) };
}

const asText = (e: LogEntry) => ({ stream: e.stream, timeNano: e.timeNano, line: Buffer.from(e.line).toString(), partial: !!e.partial });

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Registers the conformance cases for one driver, each on a fresh fixture from `factory`. */
export function describeLogDriverConformance(name: string, factory: () => Promise<LogDriverFixture>, opts: LogConformanceOptions = {}): void {
  describe(`LogDriver conformance: ${name}`, () => {
    let fx: LogDriverFixture;
    beforeEach(async () => { fx = await factory(); });
    afterEach(async () => { await fx?.cleanup(); });

    const writeAll = async (info: LogInfo, entries: LogEntry[]) => {
      const sink = await fx.driver.open(info);
      for (const e of entries) await sink.write(e);
      await sink.close();
    };
    const read = (info: LogInfo, o: Parameters<NonNullable<LogDriver['read']>>[1] = {}) => collect(fx.driver.read!(info, o));

    it.skipIf(!!opts.acceptsAnyOptions)('validateOptions rejects unknown keys with Docker\'s wording', () => {
      let err: unknown;
      // On top of the fixture's own options: some drivers need one first (gelf-address).
      try { fx.driver.validateOptions({ ...fx.info().options, 'no-such-opt': '1' }); } catch (e) { err = e; }
      expect(EngineError.is(err) && err.kind).toBe('InvalidArgument');
      expect((err as Error).message).toMatch(/unknown log opt '?"?no-such-opt/);
    });

    it('capabilities.read matches the presence of read', () => {
      expect(typeof fx.driver.read === 'function').toBe(fx.driver.capabilities.read);
    });

    it('close is idempotent and a closed sink rejects nothing it accepted', async () => {
      const sink = await fx.driver.open(fx.info());
      await sink.write(sampleEntry(0));
      await sink.close();
      await sink.close();
    });

    it('write/close/read round trip keeps order, streams, timestamps and partials', async (ctx) => {
      const entries = Array.from({ length: 500 }, (_, i) => sampleEntry(i, i === 3 ? 'quote " back\\slash <tag> & tab\t é \u2028' : i === 4 ? '' : undefined));
      const info = fx.info();
      await writeAll(info, entries);
      if (!fx.driver.capabilities.read) {
        if (!fx.received) return ctx.skip();
        const got = await fx.received();
        // Some network drivers skip empty lines, like Docker's syslog and gelf.
        const want = entries.filter((e) => e.line.length);
        const lines = got.filter((g) => g.line);
        expect(lines.map((g) => g.line)).toEqual(want.map((e) => Buffer.from(e.line).toString()));
        expect(lines.map((g, i) => g.stream ?? want[i]!.stream)).toEqual(want.map((e) => e.stream));
        return;
      }
      expect((await read(info)).map(asText)).toEqual(entries.map(asText));
    });

    it('read honours since, until and tail', async (ctx) => {
      if (!fx.driver.capabilities.read) return ctx.skip();
      const info = fx.info();
      await writeAll(info, Array.from({ length: 100 }, (_, i) => sampleEntry(i)));
      const at = (i: number) => Number(T0 / 1_000_000_000n) + i / 1000;
      const lines = (es: LogEntry[]) => es.map((e) => Buffer.from(e.line).toString());
      expect(lines(await read(info, { since: at(90) }))).toEqual(Array.from({ length: 10 }, (_, i) => `line ${90 + i}`));
      expect(lines(await read(info, { until: at(2) + 0.0005 }))).toEqual(['line 0', 'line 1', 'line 2']);
      expect(lines(await read(info, { tail: 3 }))).toEqual(['line 97', 'line 98', 'line 99']);
      expect(lines(await read(info, { since: at(10), until: at(20), tail: 2 }))).toEqual(['line 18', 'line 19']);
      expect(await read(info, { tail: 0 })).toEqual([]);
    });

    it('follow yields new entries and ends when the sink closes', async (ctx) => {
      if (!fx.driver.capabilities.read) return ctx.skip();
      const info = fx.info();
      const sink = await fx.driver.open(info);
      for (let i = 0; i < 3; i++) await sink.write(sampleEntry(i));
      const following = read(info, { follow: true });
      for (let i = 3; i < 1000; i++) await sink.write(sampleEntry(i));
      await sink.close();
      expect((await following).map((e) => Buffer.from(e.line).toString())).toEqual(Array.from({ length: 1000 }, (_, i) => `line ${i}`));
    });

    it('follow with no open sink ends after what exists; an aborted follow ends', async (ctx) => {
      if (!fx.driver.capabilities.read) return ctx.skip();
      const info = fx.info();
      await writeAll(info, [sampleEntry(0), sampleEntry(1)]);
      expect(await read(info, { follow: true })).toHaveLength(2);
      const sink = await fx.driver.open(info);
      const ac = new AbortController();
      const got: LogEntry[] = [];
      for await (const e of fx.driver.read!(info, { follow: true, signal: ac.signal })) {
        got.push(e);
        if (got.length === 2) { await sink.write(sampleEntry(2)); }
        if (got.length === 3) ac.abort();
      }
      await sink.close();
      expect(got).toHaveLength(3);
    });

    it('a second open appends', async (ctx) => {
      const info = fx.info();
      await writeAll(info, [sampleEntry(0), sampleEntry(1)]);
      await writeAll(info, [sampleEntry(2)]);
      if (!fx.driver.capabilities.read) {
        if (!fx.received) return ctx.skip();
        expect((await fx.received()).map((g) => g.line)).toEqual(['line 0', 'line 1', 'line 2']);
        return;
      }
      expect((await read(info)).map((e) => Buffer.from(e.line).toString())).toEqual(['line 0', 'line 1', 'line 2']);
    });

    it.runIf(!!opts.rotation)('rotation keeps at most max-file files and the newest content reads back intact', async () => {
      const info = fx.info({ 'max-size': '1m', 'max-file': '3', compress: 'false' });
      const sink = await fx.driver.open(info);
      const pad = 'x'.repeat(90);
      const count = 500_000; // ≈ 50 MB of ~100-byte lines
      for (let i = 0; i < count; i++) await sink.write(sampleEntry(i, `${i} ${pad}`));
      await sink.close();
      expect((await readdir(info.logDirectory)).length).toBeLessThanOrEqual(3);
      const tail = await read(info, { tail: 1000 });
      expect(tail.map((e) => Buffer.from(e.line).toString())).toEqual(Array.from({ length: 1000 }, (_, k) => `${count - 1000 + k} ${pad}`));
      const all = await read(info);
      const first = Number(Buffer.from(all[0]!.line).toString().split(' ')[0]);
      expect(all.map((e) => Number(Buffer.from(e.line).toString().split(' ')[0]))).toEqual(Array.from({ length: count - first }, (_, k) => first + k));
    });

    it.runIf(!!opts.rotation)('compressed rotated files read back in order', async () => {
      const info = fx.info({ 'max-size': '10k', 'max-file': '4', compress: 'true' });
      await writeAll(info, Array.from({ length: 1000 }, (_, i) => sampleEntry(i)));
      const files = await readdir(info.logDirectory);
      expect(files.filter((f) => f.endsWith('.gz')).length).toBeGreaterThan(0);
      expect(files.length).toBeLessThanOrEqual(4);
      const all = (await read(info)).map((e) => Buffer.from(e.line).toString());
      const first = Number(all[0]!.slice(5));
      expect(all).toEqual(Array.from({ length: 1000 - first }, (_, k) => `line ${first + k}`));
    });
  });
}
