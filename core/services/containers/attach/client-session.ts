/**
 * Bridges a hijacked client connection and a monitor's attach socket: output goes to the client
 * framed as Docker's multiplexed stream (or raw for a TTY), the client's bytes go to the
 * process's stdin, and the client's half-close ends stdin when the session asks for it.
 */
import type { Duplex } from 'node:stream';
import type { AttachConnection, OutputStream } from '../monitor/attach-socket.js';
import type { AttachSession } from '../lifecycle/attach-hub.js';

/** Docker's multiplexed-stream frame: stream byte, three zeros, big-endian length, payload. */
export function frame(stream: 0 | 1 | 2 | 3, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** What the client asked to see and send. */
export interface ClientOptions {
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** Close the process's stdin when the client's input ends. */
  readonly closeStdinOnEnd: boolean;
  /** Bytes that arrived with the request (early stdin). */
  readonly head?: Buffer;
  /** Called once the session is over (after the socket is ended). */
  readonly onDone?: () => void;
  /** Awaited before the client socket is closed (e.g. the exit code must be final first). */
  readonly beforeClose?: () => Promise<void>;
}

/** An {@link AttachSession} writing to `socket`. */
export function clientSession(socket: Duplex, o: ClientOptions): AttachSession & { writeRaw(data: Buffer): void; end(): void } {
  let conn: AttachConnection | undefined;
  let closed = false;
  const early: Buffer[] = o.head?.length ? [o.head] : [];
  let inputEnded = false;
  const write = (stream: OutputStream, data: Buffer) => {
    if (closed || socket.destroyed || !data.length) return;
    if (stream === 'stdout' ? !o.stdout : !o.stderr) return;
    socket.write(o.tty ? data : frame(stream === 'stdout' ? 1 : 2, data));
  };
  const end = () => {
    if (closed) return;
    closed = true;
    void (o.beforeClose?.() ?? Promise.resolve()).catch(() => undefined).then(() => {
      if (!socket.destroyed) socket.end();
      conn?.close();
      o.onDone?.();
    });
  };
  if (o.stdin) {
    socket.on('data', (d: Buffer) => (conn ? conn.write(d) : early.push(d)));
    socket.on('end', () => {
      inputEnded = true;
      if (conn && o.closeStdinOnEnd) conn.endInput();
    });
  } else {
    socket.resume(); // drain anything the client sends
  }
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (!closed) {
      closed = true;
      conn?.close();
      o.onDone?.();
    }
  });
  return {
    onOutput: write,
    onEnd: end,
    connected(c) {
      conn = c;
      if (closed) return c.close();
      for (const d of early.splice(0)) c.write(d);
      if (inputEnded && o.closeStdinOnEnd) c.endInput();
    },
    writeRaw(data) {
      if (!closed && !socket.destroyed) socket.write(data);
    },
    end,
  };
}
