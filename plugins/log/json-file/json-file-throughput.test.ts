/**
 * Throughput of the json-file sink with small lines: printed, not asserted (machines differ);
 * the assertion is only that every byte arrived.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { FileLogDriver } from '@keel/sdk/logging';
import { jsonFileFormat } from './json-file-format.js';

it('sustains a stream of small lines (MB/s printed)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'keel-jf-bench-'));
  try {
    const driver = new FileLogDriver(jsonFileFormat);
    const info = { containerId: 'f'.repeat(64), containerName: 'b', imageName: 'i', imageId: 'sha256:0', containerCreated: '', labels: {}, env: [], options: {}, logDirectory: dir };
    const sink = await driver.open(info);
    const line = Buffer.from('x'.repeat(80));
    const n = 1_000_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await sink.write({ stream: 'stdout', timeNano: `17040672${String(i).padStart(11, '0')}`, line });
    await sink.close();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const bytes = (await stat(path.join(dir, `${info.containerId}-json.log`))).size;
    console.log(`json-file: ${(n * line.length / 1e6 / seconds).toFixed(0)} MB/s of line payload, ${(bytes / 1e6 / seconds).toFixed(0)} MB/s written`);
    expect(bytes).toBe(n * '{"log":"\\n","stream":"stdout","time":"2024-01-01T00:00:00.000000000Z"}\n'.length + n * 80 - countTrimmed(n));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Bytes saved by Go's trimming of trailing zeros in the time fraction, over the n timestamps used. */
function countTrimmed(n: number): number {
  let saved = 0;
  for (let i = 0; i < n; i++) {
    const frac = `17040672${String(i).padStart(11, '0')}`.slice(-9);
    const kept = frac.replace(/0+$/, '');
    saved += 9 - kept.length + (kept ? 0 : 1);
  }
  return saved;
}
