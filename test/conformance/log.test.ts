/**
 * The log conformance suite over every in-tree log driver, in-process. File drivers get a fresh
 * private logDirectory per container; network drivers a fresh listener on 127.0.0.1 (UDP and
 * TCP) or a unix socket in a temp dir, whose received messages are decoded and checked.
 */
import { createSocket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { LogDriver, LogInfo } from '@keel/sdk';
import { describeLogDriverConformance, sampleEntry, type LogDriverFixture, type ReceivedLogLine } from '@keel/sdk/testkit';
import { FileLogDriver } from '@keel/sdk/logging';
import { FluentdLogDriver } from '../../plugins/log/fluentd/fluentd-driver.js';
import { GelfLogDriver } from '../../plugins/log/gelf/gelf-driver.js';
import { jsonFileLogPlugin } from '../../plugins/log/json-file/index.js';
import { localLogPlugin } from '../../plugins/log/local/index.js';
import { noneLogDriver } from '../../plugins/log/none/index.js';
import { SyslogLogDriver } from '../../plugins/log/syslog/syslog-driver.js';

const ID = 'c0ffee'.padEnd(64, '0');

function testInfo(logDirectory: string, options: Record<string, string> = {}): LogInfo {
  return {
    containerId: ID, containerName: 'web', imageName: 'alpine:3', imageId: `sha256:${'ab'.repeat(32)}`,
    containerCreated: '2024-01-01T00:00:00.123456789Z', command: ['sh', '-c', 'echo hi'], labels: { team: 'core', tier: 'db' },
    env: ['A=1', 'B=two'], options, logDirectory,
  };
}

/** Runs a plugin's init as the kernel would, for plugins that need no deps. */
async function initDriver(plugin: unknown): Promise<LogDriver> {
  const { init } = plugin as { init: (deps: object, ctx: object) => LogDriver | Promise<LogDriver> };
  return init({}, { config: {}, lifecycle: { onStop: () => undefined } });
}

async function fileFixture(plugin: unknown): Promise<LogDriverFixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'keel-log-conf-'));
  const driver = await initDriver(plugin);
  let n = 0;
  return {
    driver,
    info(options) {
      const dir = path.join(root, String(n++)); // a new container each time, as the service makes one
      mkdirSync(dir);
      return testInfo(dir, options);
    },
    cleanup: async () => { await (driver as FileLogDriver).close(); await rm(root, { recursive: true, force: true }); },
  };
}

/** What a listener got, as raw messages; `settled()` waits until nothing new arrives for a while. */
interface Listener {
  readonly address: string;
  readonly messages: Buffer[];
  settled(): Promise<Buffer[]>;
  close(): Promise<void>;
}

async function settle(messages: Buffer[]): Promise<Buffer[]> {
  // Delivery is asynchronous (UDP, TCP after close): wait until the count stops changing.
  for (let last = -1; last !== messages.length;) { last = messages.length; await new Promise((r) => setTimeout(r, 60)); }
  return messages;
}

async function udpListener(): Promise<Listener> {
  const sock = createSocket('udp4');
  const messages: Buffer[] = [];
  sock.on('message', (m) => messages.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.setRecvBufferSize(4 << 20); // a burst of 500 datagrams must not overflow the default buffer
  return { address: `udp://127.0.0.1:${sock.address().port}`, messages, settled: () => settle(messages), close: () => new Promise((r) => sock.close(() => r())) };
}

/** A stream listener (TCP on 127.0.0.1, or a unix socket when `unixPath`); `split` frames the bytes. */
async function streamListener(split: (data: Buffer) => [Buffer[], Buffer], unixPath?: string): Promise<Listener> {
  const messages: Buffer[] = [];
  const server: Server = createServer((c) => {
    let rest = Buffer.alloc(0);
    c.on('data', (d) => { const [msgs, r] = split(Buffer.concat([rest, d])); rest = r; messages.push(...msgs); });
  });
  await new Promise<void>((r) => (unixPath ? server.listen(unixPath, r) : server.listen(0, '127.0.0.1', r)));
  const address = unixPath ? `unix://${unixPath}` : `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { address, messages, settled: () => settle(messages), close: () => new Promise((r) => { server.close(() => r()); server.unref(); }) };
}

const splitOn = (byte: number) => (data: Buffer): [Buffer[], Buffer] => {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = data.indexOf(byte); i >= 0; start = i + 1, i = data.indexOf(byte, start)) out.push(data.subarray(start, i));
  return [out, data.subarray(start)];
};

async function netFixture(driver: LogDriver, listener: Listener, addressKey: string, decode: (m: Buffer) => ReceivedLogLine, extra: Record<string, string> = {}): Promise<LogDriverFixture> {
  return {
    driver,
    info: (options = {}) => testInfo(tmpdir(), { [addressKey]: listener.address, ...extra, ...options }),
    received: async () => (await listener.settled()).map(decode),
    cleanup: () => listener.close(),
  };
}

// --- decoders of what each protocol carries -------------------------------------------------

const syslogLine = (m: Buffer): ReceivedLogLine & { pri: number; head: string } => {
  const s = m.toString();
  const match = /^<(\d+)>(.*?\[\d+\]: |1 \S+ \S+ \S+ \d+ \S+ - )(.*)$/s.exec(s)!;
  return { pri: Number(match[1]), head: match[2]!, stream: Number(match[1]) % 8 === 3 ? 'stderr' : 'stdout', line: match[3]!.replace(/\n$/, '') };
};

/** Reassembles GELF UDP chunks and inflates; returns whole JSON messages in order of completion. */
function gelfDatagrams(datagrams: Buffer[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const partial = new Map<string, Buffer[]>();
  const inflate = (b: Buffer) => (b[0] === 0x1f ? gunzipSync(b) : b[0] === 0x78 ? inflateSync(b) : b);
  for (const d of datagrams) {
    if (d[0] !== 0x1e || d[1] !== 0x0f) { out.push(JSON.parse(inflate(d).toString())); continue; }
    const id = d.subarray(2, 10).toString('hex');
    const parts = partial.get(id) ?? Array<Buffer>(d[11]!);
    parts[d[10]!] = d.subarray(12);
    partial.set(id, parts);
    if (parts.filter(Boolean).length === d[11]) out.push(JSON.parse(inflate(Buffer.concat(parts)).toString()));
  }
  return out;
}

/** Decodes the MessagePack subset fluentd messages use. */
function unpack(b: Buffer): unknown {
  let p = 0;
  const str = (n: number) => { const s = b.toString('utf8', p, p + n); p += n; return s; };
  const map = (n: number) => { const o: Record<string, unknown> = {}; for (let i = 0; i < n; i++) { const k = read() as string; o[k] = read(); } return o; };
  const arr = (n: number) => Array.from({ length: n }, () => read());
  function read(): unknown {
    const t = b[p++]!;
    if (t < 0x80) return t;
    if (t >= 0xa0 && t <= 0xbf) return str(t & 31);
    if (t >= 0x90 && t <= 0x9f) return arr(t & 15);
    if (t >= 0x80 && t <= 0x8f) return map(t & 15);
    if (t === 0xce) { p += 4; return b.readUInt32BE(p - 4); }
    if (t === 0xd9) return str(b[p++]!);
    if (t === 0xda) { p += 2; return str(b.readUInt16BE(p - 2)); }
    if (t === 0xd7) { p += 9; return { ext: b[p - 9], sec: b.readUInt32BE(p - 8), nsec: b.readUInt32BE(p - 4) }; }
    throw new Error(`msgpack type 0x${t.toString(16)} not expected`);
  }
  return read();
}

/** Splits a TCP stream of msgpack arrays: each message here starts with fixarray(3). */
const splitMsgpack = (data: Buffer): [Buffer[], Buffer] => {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    try {
      const before = start;
      const probe = data.subarray(start);
      if (!probe.length) break;
      const len = msgpackLength(probe);
      if (len > probe.length) break;
      out.push(data.subarray(before, before + len));
      start += len;
    } catch { break; }
  }
  return [out, data.subarray(start)];
};

function msgpackLength(b: Buffer): number {
  let p = 0;
  const skip = (): void => {
    if (p >= b.length) throw new Error('short');
    const t = b[p++]!;
    if (t < 0x80) return;
    if (t >= 0xa0 && t <= 0xbf) { p += t & 31; return; }
    if (t >= 0x90 && t <= 0x9f) { for (let i = 0; i < (t & 15); i++) skip(); return; }
    if (t >= 0x80 && t <= 0x8f) { for (let i = 0; i < (t & 15) * 2; i++) skip(); return; }
    if (t === 0xce) { p += 4; return; }
    if (t === 0xd9) { p += 1 + b[p]!; return; }
    if (t === 0xda) { p += 2 + b.readUInt16BE(p); return; }
    if (t === 0xd7) { p += 9; return; }
    throw new Error('type');
  };
  skip();
  return p;
}

const fluentRecord = (m: Buffer) => unpack(m) as [string, number | { ext: number; sec: number; nsec: number }, Record<string, string>];

// --- the suite over every driver ------------------------------------------------------------

describeLogDriverConformance('json-file', () => fileFixture(jsonFileLogPlugin), { rotation: true });
describeLogDriverConformance('local', () => fileFixture(localLogPlugin), { rotation: true });
describeLogDriverConformance('none', async () => ({ driver: noneLogDriver, info: (o) => testInfo(tmpdir(), o), cleanup: async () => undefined }), { acceptsAnyOptions: true });
describeLogDriverConformance('syslog (udp)', async () => netFixture(new SyslogLogDriver(), await udpListener(), 'syslog-address', syslogLine));
describeLogDriverConformance('syslog (tcp, rfc5424)', async () => netFixture(new SyslogLogDriver(), await streamListener(splitOn(10)), 'syslog-address', syslogLine, { 'syslog-format': 'rfc5424' }));
describeLogDriverConformance('gelf (udp)', async () => {
  const l = await udpListener();
  return { ...(await netFixture(new GelfLogDriver(), l, 'gelf-address', () => ({ line: '' }))), received: async () => gelfDatagrams(await l.settled()).map((g) => ({ line: String(g.short_message) })) };
});
describeLogDriverConformance('gelf (tcp)', async () => netFixture(new GelfLogDriver(), await streamListener(splitOn(0)), 'gelf-address', (m) => ({ line: String(JSON.parse(m.toString()).short_message) })));
describeLogDriverConformance('fluentd (tcp)', async () => netFixture(new FluentdLogDriver(), await streamListener(splitMsgpack), 'fluentd-address', (m) => {
  const [, , rec] = fluentRecord(m);
  return { stream: rec.source as 'stdout' | 'stderr', line: rec.log! };
}));

// --- what each protocol's messages carry ----------------------------------------------------

async function sendTwo(driver: LogDriver, info: LogInfo): Promise<void> {
  const sink = await driver.open(info);
  await sink.write(sampleEntry(0, 'hello'));
  await sink.write(sampleEntry(1, 'oops'));
  await sink.close();
}

describe('syslog messages', () => {
  it('default format: <pri>stamp tag[pid]: msg, facility daemon, tag = 12-char ID; unix socket', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'keel-syslog-'));
    const l = await streamListener(splitOn(10), path.join(dir, 'log.sock'));
    try {
      await sendTwo(new SyslogLogDriver(), testInfo(dir, { 'syslog-address': l.address }));
      const got = (await l.settled()).map((m) => m.toString());
      expect(got).toHaveLength(2);
      expect(got[0]).toMatch(new RegExp(`^<30>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d ${ID.slice(0, 12)}\\[${process.pid}\\]: hello$`));
      expect(got[1]).toMatch(/^<27>.*: oops$/);
    } finally {
      await l.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rfc5424micro with a facility and a tag template', async () => {
    const l = await udpListener();
    try {
      await sendTwo(new SyslogLogDriver(), testInfo(tmpdir(), { 'syslog-address': l.address, 'syslog-format': 'rfc5424micro', 'syslog-facility': 'local3', tag: '{{.Name}}/{{.ImageName}}' }));
      const [first] = (await l.settled()).map((m) => m.toString());
      expect(first).toMatch(new RegExp(`^<${19 * 8 + 6}>1 2023-11-14T22:13:20\\.000123Z \\S+ web/alpine:3 ${process.pid} web/alpine:3 - hello\\n$`));
    } finally { await l.close(); }
  });

  it('rejects bad options with Docker\'s messages', () => {
    const d = new SyslogLogDriver();
    expect(() => d.validateOptions({ 'syslog-format': 'x' })).toThrow('Invalid syslog format');
    expect(() => d.validateOptions({ 'syslog-facility': 'nope' })).toThrow('invalid syslog facility');
    expect(() => d.validateOptions({ 'syslog-address': 'http://x' })).toThrow("unsupported scheme: 'http'");
  });
});

describe('gelf messages', () => {
  it('carries the GELF 1.1 fields, labels as _fields, and chunks big messages', async () => {
    const l = await udpListener();
    try {
      const info = testInfo(tmpdir(), { 'gelf-address': l.address, labels: 'team', env: 'B', 'gelf-compression-type': 'zlib' });
      const sink = await new GelfLogDriver().open(info);
      await sink.write(sampleEntry(1, 'oops'));
      const big = Array.from({ length: 6000 }, (_, i) => (i * 7919).toString(36)).join(''); // poorly compressible
      await sink.write(sampleEntry(2, big));
      await sink.close();
      const datagrams = await l.settled();
      expect(datagrams.some((d) => d[0] === 0x1e && d[1] === 0x0f)).toBe(true);
      const [m, m2] = gelfDatagrams(datagrams);
      expect(m).toMatchObject({ version: '1.1', short_message: 'oops', level: 3, timestamp: 1700000000.001, _container_id: ID, _container_name: 'web', _image_name: 'alpine:3', _image_id: `sha256:${'ab'.repeat(32)}`, _tag: ID.slice(0, 12), _created: '2024-01-01T00:00:00.123456789Z', _command: 'sh -c echo hi', _team: 'core', _B: 'two' });
      expect(typeof m!.host).toBe('string');
      expect(m2!.short_message).toBe(big);
    } finally { await l.close(); }
  });

  it('rejects bad options with Docker\'s messages', () => {
    const d = new GelfLogDriver();
    expect(() => d.validateOptions({})).toThrow('gelf-address is a required parameter');
    expect(() => d.validateOptions({ 'gelf-address': 'tcp://127.0.0.1:1', 'gelf-compression-type': 'gzip' })).toThrow('compression is only supported on UDP');
    expect(() => d.validateOptions({ 'gelf-address': 'udp://127.0.0.1' })).toThrow('gelf: please provide gelf-address as proto://host:port');
  });
});

describe('fluentd messages', () => {
  it('[tag, EventTime, record] with Docker\'s record fields', async () => {
    const l = await streamListener(splitMsgpack);
    try {
      await sendTwo(new FluentdLogDriver(), testInfo(tmpdir(), { 'fluentd-address': l.address, 'fluentd-sub-second-precision': 'true', tag: 'docker.{{.Name}}', labels: 'tier' }));
      const [[tag, time, rec]] = (await l.settled()).map(fluentRecord) as [ReturnType<typeof fluentRecord>];
      expect(tag).toBe('docker.web');
      expect(time).toEqual({ ext: 0, sec: 1700000000, nsec: 123456 });
      expect(rec).toEqual({ container_id: ID, container_name: '/web', source: 'stdout', log: 'hello', tier: 'db' });
    } finally { await l.close(); }
  });

  it('without fluentd-async, open fails when fluentd is unreachable; with it, nothing blocks', async () => {
    const l = await streamListener(splitMsgpack);
    const address = l.address;
    await l.close();
    const d = new FluentdLogDriver();
    await expect(d.open(testInfo(tmpdir(), { 'fluentd-address': address }))).rejects.toMatchObject({ kind: 'Unavailable' });
    let warned = '';
    const sink = await new FluentdLogDriver((m) => { warned = m; }).open(testInfo(tmpdir(), { 'fluentd-address': address, 'fluentd-async': 'true', 'fluentd-max-retries': '0', 'fluentd-retry-wait': '10ms' }));
    for (let i = 0; i < 10; i++) await sink.write(sampleEntry(i));
    await sink.close();
    expect(warned).toMatch(/dropped/);
  });
});
