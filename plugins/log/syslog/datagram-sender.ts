/**
 * Fire-and-forget datagrams (UDP, or a unix datagram socket such as /dev/log) with a bound on
 * sends in flight: a receiver that is gone or slow makes messages drop (counted), never waits.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { DgramSocket } from 'node-unix-socket';

const MAX_IN_FLIGHT = 1024;

/** Where datagrams go: a unix socket path, or a host and port. */
export type DatagramTarget = { readonly path: string } | { readonly host: string; readonly port: number };

/** Sends datagrams to one target. */
export class DatagramSender {
  dropped = 0;
  private inFlight = 0;
  private readonly udp?: Socket;
  private readonly unix?: DgramSocket;

  constructor(private readonly target: DatagramTarget, private readonly onDrop: (dropped: number) => void = () => undefined) {
    if ('path' in target) this.unix = new DgramSocket();
    else {
      this.udp = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
      this.udp.on('error', () => undefined); // ICMP errors of a missing receiver: nothing to do
      this.udp.unref();
    }
  }

  /** Sends one datagram unless too many are in flight. */
  send(message: Buffer): void {
    if (this.inFlight >= MAX_IN_FLIGHT) return this.drop();
    this.inFlight++;
    const done = (err?: Error | null) => { this.inFlight--; if (err) this.drop(); };
    try {
      if (this.unix) this.unix.sendTo(message, 0, message.length, (this.target as { path: string }).path, done);
      else this.udp!.send(message, (this.target as { port: number }).port, (this.target as { host: string }).host, done);
    } catch {
      done(new Error('send failed'));
    }
  }

  private closing?: Promise<void>;

  /** Closes the socket once what is in flight has been handed to the kernel. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    for (let i = 0; this.inFlight > 0 && i < 100; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    this.unix?.close();
    await new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve()));
  }

  private drop(): void {
    this.dropped++;
    if ((this.dropped & (this.dropped - 1)) === 0) this.onDrop(this.dropped); // 1, 2, 4, 8 …
  }
}
