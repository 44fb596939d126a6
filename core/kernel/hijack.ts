/**
 * Connection upgrades for attach and exec start. Node does not parse the body of an upgrade
 * request (exec start's `{"Detach":false,"Tty":false}` sits in `head`), and hijacking a socket the
 * HTTP parser still reads loses early stdin bytes and dies on half-close; so the server's
 * `upgrade` event reads the body itself, stashes the socket and the remaining bytes on the
 * request, and dispatches it like any other request (version check and errors included).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';

/** What the upgrade handler leaves on the raw request for the route. */
export interface UpgradeStash {
  readonly socket: Duplex;
  /** Bytes after the body that arrived with the headers: early stdin. */
  readonly head: Buffer;
  /** The parsed JSON body, if any. */
  readonly body: unknown;
}

const MAX_UPGRADE_BODY = 64 * 1024;

async function readBody(socket: Duplex, head: Buffer, length: number): Promise<{ body: Buffer; rest: Buffer }> {
  let buf = head;
  while (buf.length < length) {
    const chunk: Buffer | null = await new Promise((resolve, reject) => {
      const onData = (c: Buffer) => done(c);
      const onEnd = () => done(null);
      const done = (c: Buffer | null) => {
        socket.off('data', onData).off('end', onEnd).off('error', reject);
        socket.pause();
        resolve(c);
      };
      socket.on('data', onData).once('end', onEnd).once('error', reject);
      socket.resume();
    });
    if (!chunk) break;
    buf = Buffer.concat([buf, chunk]);
  }
  return { body: buf.subarray(0, length), rest: buf.subarray(length) };
}

/** Routes upgrade requests of `server` through `routing` (the API's dispatcher). */
export function installUpgradeHandler(server: http.Server, routing: (req: http.IncomingMessage, res: http.ServerResponse) => void): void {
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const length = Number(req.headers['content-length'] ?? 0);
      if (!Number.isFinite(length) || length < 0 || length > MAX_UPGRADE_BODY) {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{"message":"invalid request body"}\n');
        return;
      }
      const { body, rest } = await readBody(socket, head, length);
      let parsed: unknown;
      if (body.length && String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{"message":"invalid JSON body"}\n');
          return;
        }
      }
      (req as unknown as { keelUpgrade: UpgradeStash }).keelUpgrade = { socket, head: rest, body: parsed };
      // The body is consumed: the dispatcher must not wait for one.
      delete req.headers['content-length'];
      delete req.headers['content-type'];
      delete req.headers['transfer-encoding'];
      const res = new http.ServerResponse(req);
      res.assignSocket(socket as unknown as import('node:net').Socket);
      routing(req, res);
    })().catch(() => socket.destroy());
  });
}
