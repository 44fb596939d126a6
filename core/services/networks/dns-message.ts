/**
 * The few parts of the DNS wire format (RFC 1035) the embedded server needs: read the question of
 * a query, and write an answer with A/AAAA records or an error code. Everything the server does
 * not answer itself is relayed to an upstream as raw bytes, so nothing else is decoded.
 */

/** Record types the server answers from its own names. */
export const TYPE_A = 1;
export const TYPE_AAAA = 28;

/** Response codes used. */
export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, refused: 5 } as const;

/** The question of a query. */
export interface DnsQuestion {
  readonly id: number;
  /** Lower-cased, without the trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly klass: number;
  /** Recursion desired (echoed in the answer). */
  readonly rd: boolean;
  /** Byte offset where the question section ends. */
  readonly end: number;
}

/** Parses a query's header and first question; undefined when the message is not a plain query. */
export function parseQuery(msg: Buffer): DnsQuestion | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  // QR must be 0 (a query) and OPCODE 0 (standard query), with exactly one question.
  if (flags & 0x8000 || (flags >> 11) & 0xf || qdcount !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    off++;
    if (len === 0) break;
    // Compression pointers never appear in a question section of a query.
    if (len > 63 || off + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', off, off + len));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), klass: msg.readUInt16BE(off + 2), rd: !!(flags & 0x100), end: off + 4 };
}

function addressBytes(ip: string): Buffer {
  if (!ip.includes(':')) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/**
 * An authoritative-style answer to `q` (question copied from `query`): the addresses as records
 * of the asked type with `ttl` (Docker uses 600 s), or just `rcode`.
 */
export function buildAnswer(query: Buffer, q: DnsQuestion, rcode: number, addresses: readonly string[] = [], ttl = 600): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR=1, AA=1 for names we own, RD echoed, RA=1 (we recurse through the upstreams).
  header.writeUInt16BE(0x8000 | (rcode === RCODE.noError || rcode === RCODE.nxDomain ? 0x400 : 0) | (q.rd ? 0x100 : 0) | 0x80 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const question = query.subarray(12, q.end);
  const answers = addresses.map((ip) => {
    const data = addressBytes(ip);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the name in the question
    rr.writeUInt16BE(q.type, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return Buffer.concat([header, question, ...answers]);
}
