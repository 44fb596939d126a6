import { describe, expect, it } from 'vitest';
import { ago, binarySize, decimalSize } from './human-units.js';
import { table } from './table-writer.js';

describe('table writer', () => {
  it('pads columns to the widest cell with three spaces between, and no trailing blanks', () => {
    expect(table(['ID', 'STATUS'], [['core.system', 'running'], ['x', '']])).toBe('ID            STATUS\ncore.system   running\nx\n');
  });

  it('widens a column for a long header and fills missing cells', () => {
    expect(table(['A', 'LONG HEADER', 'C'], [['1', '2']])).toBe('A   LONG HEADER   C\n1   2\n');
  });

  it('prints the header alone when there are no rows', () => {
    expect(table(['TYPE', 'TOTAL'], [])).toBe('TYPE   TOTAL\n');
  });
});

describe('human units', () => {
  it('prints sizes with four significant digits like docker', () => {
    expect(decimalSize(1_982_000)).toBe('1.982MB');
    expect(decimalSize(512)).toBe('512B');
    expect(decimalSize(0)).toBe('0B');
    expect(decimalSize(4_300_000_000)).toBe('4.3GB');
    expect(binarySize(25_275_379_712)).toBe('23.54GiB');
    expect(binarySize(1024)).toBe('1KiB');
    expect(binarySize(1536 * 1024 * 1024)).toBe('1.5GiB');
  });

  it('prints ages like docker\'s CREATED column', () => {
    expect(ago(1000, 1_000_000 + 300_000)).toBe('5 minutes ago');
    expect(ago(1000, 1_000_400)).toBe('Less than a second ago');
    expect(ago(0, 3600_000)).toBe('An hour ago');
    expect(ago(0, 2 * 86_400_000)).toBe('2 days ago');
  });
});
