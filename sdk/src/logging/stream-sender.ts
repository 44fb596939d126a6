/**
 * A bounded, reconnecting sender of framed messages over a stream socket (TCP or a unix socket),
 * for network log drivers. A container must never wait on a log server: `send` only queues;
 * past `limit` bytes queued it drops the message and counts it; the connection is retried with
 * exponential back-off; `close` gives the queue a bounded time to drain.
 */
import type { Socket } from 'node:net';

/** Options of {@link StreamSender}. */
export interface StreamSenderOptions {
  /** Starts a connection (e.g. `net.connect({ host, port })`). */
  readonly connect: () => Socket;
  /** Most bytes queued before messages are dropped (default 1 MiB). */
  readonly limit?: number;
  /** First retry delay in ms, doubled per failure up to `maxRetryMs` (default 100). */
  readonly retryMs?: number;
  /** Longest retry delay in ms (default 10 000). */
  readonly maxRetryMs?: number;
  /** Failed connection attempts in a row before queued messages are dropped (default unlimited). */
  readonly maxRetries?: number;
  /** Told of drops: the running total (called for the 1st, 2nd, 4th, 8th … drop). */
  readonly onDrop?: (dropped: number, reason: string) => void;
}

/** Sends messages in order over one reconnecting stream connection. */
export class StreamSender {
  /** Messages dropped so far (queue full, server gone, or closed with messages unsent). */
  dropped = 0;
  private queue: Buffer[] = [];
  private queued = 0;
  private socket?: Socket;
  private connected = false;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private closing = false;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly opts: StreamSenderOptions) {}

  /** Queues a message; never blocks. */
  send(message: Buffer): void {
    if (this.closing) return this.drop(1, 'sender closed');
    if (this.queued + message.length > (this.opts.limit ?? 1 << 20)) return this.drop(1, 'buffer full');
    this.queue.push(message);
    this.queued += message.length;
    this.pump();
  }

  /** Sends what is queued within `timeoutMs`, drops the rest, and disconnects. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    if (this.queue.length) {
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve);
        setTimeout(resolve, timeoutMs).unref();
      });
    }
    clearTimeout(this.timer);
    if (this.queue.length) this.drop(this.queue.length, 'closed before the server took them');
    this.queue = [];
    const s = this.socket;
    this.socket = undefined;
    if (s && this.connected) await new Promise<void>((resolve) => s.end(resolve));
    s?.destroy();
  }

  private drop(count: number, reason: string): void {
    const before = this.dropped;
    this.dropped += count;
    // Warn at powers of two: visible, without flooding the daemon's log.
    if (Math.floor(Math.log2(this.dropped)) > Math.floor(Math.log2(Math.max(before, 0.5)))) this.opts.onDrop?.(this.dropped, reason);
  }

  private pump(): void {
    if (!this.socket) return this.dial();
    if (!this.connected) return;
    while (this.queue.length) {
      const msg = this.queue.shift()!;
      this.queued -= msg.length;
      if (!this.socket.write(msg)) {
        this.socket.once('drain', () => this.pump());
        return;
      }
    }
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private dial(): void {
    if (this.timer) return;
    const socket = this.opts.connect();
    this.socket = socket;
    socket.setNoDelay?.(true);
    socket.on('connect', () => {
      this.connected = true;
      this.failures = 0;
      this.pump();
    });
    socket.on('error', () => undefined); // 'close' follows and handles it
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      if (this.closing && !this.queue.length) return;
      this.failures += 1;
      if (this.opts.maxRetries !== undefined && this.failures > this.opts.maxRetries) {
        this.drop(this.queue.length, 'server unreachable');
        this.queue = [];
        this.queued = 0;
        this.failures = 0;
        for (const resolve of this.drainWaiters.splice(0)) resolve();
        return;
      }
      const delay = Math.min((this.opts.retryMs ?? 100) * 2 ** (this.failures - 1), this.opts.maxRetryMs ?? 10_000);
      this.timer = setTimeout(() => { this.timer = undefined; if (this.queue.length) this.dial(); }, delay);
      this.timer.unref();
    });
  }
}
