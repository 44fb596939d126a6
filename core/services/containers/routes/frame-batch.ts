/**
 * Log entries as `docker logs` receives them, written straight into one large buffer: Docker's
 * multiplexed frames (stream byte, three zeros, big-endian length, payload) or, for a TTY, the
 * bare bytes; an optional text prefix (timestamps, details) and the newline a complete line had.
 * One buffer per batch instead of three small ones per line.
 */
const MIN_BATCH = 128 * 1024;

export class FrameBatch {
  private buf = Buffer.allocUnsafe(MIN_BATCH);
  /** Where the bytes not yet taken start. */
  private start = 0;
  private pos = 0;

  constructor(private readonly tty: boolean) {}

  /** Bytes waiting. */
  get size(): number {
    return this.pos - this.start;
  }

  /** Adds one entry: `prefix` + `line` + a newline when `newline`. */
  add(stream: 1 | 2, prefix: string, line: Uint8Array, newline: boolean): void {
    const prefixBytes = prefix ? Buffer.byteLength(prefix) : 0;
    const payload = prefixBytes + line.length + (newline ? 1 : 0);
    this.ensure(payload + 8);
    const b = this.buf;
    let p = this.pos;
    if (!this.tty) {
      b[p] = stream;
      b[p + 1] = 0;
      b[p + 2] = 0;
      b[p + 3] = 0;
      b.writeUInt32BE(payload, p + 4);
      p += 8;
    }
    if (prefixBytes) p += b.write(prefix, p);
    b.set(line, p);
    p += line.length;
    if (newline) b[p++] = 0x0a;
    this.pos = p;
  }

  /**
   * Hands the waiting bytes over (the caller owns them: later entries go after them, or into a
   * new buffer), so following a log one entry at a time does not allocate a batch per entry.
   */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(MIN_BATCH, (this.size + n) * 2));
    this.buf.copy(next, 0, this.start, this.pos);
    this.pos -= this.start;
    this.start = 0;
    this.buf = next;
  }
}
