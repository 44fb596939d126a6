/**
 * Talking to an engine over its unix socket, for bench/containers.mjs and its scenarios: a
 * keep-alive HTTP client, status checks, a bounded-concurrency pool, container create/remove, and a
 * raw keep-alive HTTP/1.1 client lean enough to measure requests per second without the Node http
 * stack dominating the machine.
 */
import http from 'node:http';
import net from 'node:net';
import { aborting, onCleanup } from '../lib/common.mjs';

/** A keep-alive client for one engine's socket (the docker CLI keeps its connections too). */
export function apiClient(socket) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  onCleanup(async () => agent.destroy());
  /** Resolves with the response once its headers are in. */
  const open = (method, urlPath, body, timeoutMs = 60_000) => new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      socketPath: socket, agent, method, path: urlPath,
      headers: { Host: 'api.moby.localhost', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) },
    }, resolve);
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.end(data);
  });
  const read = (res) => new Promise((resolve, reject) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode, text, json: () => JSON.parse(text) });
    });
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
  const request = async (method, urlPath, body, timeoutMs) => read(await open(method, urlPath, body, timeoutMs));
  return { socket, open, read, request };
}

/** Throws `<what> failed: <status> <message>` unless the status is one of `want`. */
export function expectStatus(r, want, what) {
  if (want.includes(r.status)) return r;
  let msg = r.text.trim();
  try { msg = JSON.parse(msg).message ?? msg; } catch { /* not JSON */ }
  throw new Error(`${what} failed: ${r.status} ${msg}`.slice(0, 400));
}

/**
 * Runs `fn(i)` for i in [0, n) with at most `width` at a time; rejects with the first error after
 * all settle. Stops starting new work once clean-up has begun, unless `evenWhenAborting` (for the
 * clean-up's own removals).
 */
export async function pool(n, width, fn, { evenWhenAborting = false } = {}) {
  let next = 0;
  let firstErr;
  const worker = async () => {
    while (next < n && !firstErr && (evenWhenAborting || !aborting())) {
      const i = next++;
      await fn(i).catch((e) => { firstErr ??= e; });
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
  if (firstErr) throw firstErr;
}

/** POST /containers/create with `body` (and `?name=` when given); the new id. */
export async function createContainer(api, body, name) {
  const q = name ? `?name=${encodeURIComponent(name)}` : '';
  return expectStatus(await api.request('POST', `/containers/create${q}`, body), [201], 'create').json().Id;
}

export async function forceRemove(api, id) {
  return expectStatus(await api.request('DELETE', `/containers/${id}?force=1`), [204], 'remove');
}

/**
 * The containers a scenario made in one engine, removed (DELETE ?force=1, `width` at a time) by
 * `removeAll()` — and, whatever happens, at clean-up (before the daemons stop), so a failure or a
 * Ctrl-C in the middle of a 500-container setup leaves nothing behind.
 */
export function containerSet(api, width = 8) {
  const ids = new Set();
  const removeAll = async () => {
    const list = [...ids];
    ids.clear();
    let failed = 0;
    let firstErr;
    await pool(list.length, width, async (i) => {
      try {
        await forceRemove(api, list[i]);
      } catch (e) {
        if (!/ 404 /.test(e.message)) { failed++; firstErr ??= e; }
      }
    }, { evenWhenAborting: true });
    if (failed) throw new Error(`${failed} of ${list.length} removals failed, first: ${firstErr.message}`);
  };
  onCleanup(() => removeAll());
  return { ids, add: (id) => ids.add(id), get size() { return ids.size; }, removeAll };
}

/** Where a chunked body starting at `pos` ends (after its last CRLF), or -1 while incomplete (no trailers). */
function chunkedEnd(buf, pos) {
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return -1;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1'), 16);
    if (size === 0) return buf.length >= eol + 4 ? eol + 4 : -1;
    pos = eol + 2 + size + 2;
    if (pos > buf.length) return -1;
  }
}

/**
 * Requests per second of `GET <urlPath>` over `conns` keep-alive connections to `socket`, one
 * request in flight per connection, for `seconds` (after the connections are open). A raw HTTP/1.1
 * client: it parses only the status line, Content-Length and chunked framing, so the engine — not
 * the client — is what runs out of CPU first (`clientCpu`: the CPU time this process spent, per
 * second of wall clock). Resolves with `{ rate, clientCpu }`; rejects on a non-2xx status or a closed
 * connection.
 */
export async function requestRate(socket, urlPath, { conns = 16, seconds = 1 } = {}) {
  const wire = Buffer.from(`GET ${urlPath} HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: keel-bench\r\n\r\n`);
  const sockets = await Promise.all(Array.from({ length: conns }, () => new Promise((resolve, reject) => {
    const s = net.connect(socket, () => resolve(s));
    s.once('error', reject);
  })));
  let done = 0;
  let stopAt = 0;
  let t0 = 0n;
  let elapsed = 0;
  let failure;
  const finished = sockets.map((s) => new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const fail = (e) => { failure ??= e; resolve(); };
    s.on('error', fail);
    s.on('close', () => { if (stopAt && Date.now() < stopAt) fail(new Error('connection closed by the engine')); resolve(); });
    s.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const status = Number(head.slice(9, 12));
        if (status < 200 || status > 299) return fail(new Error(`GET ${urlPath}: ${head.split('\r\n')[0]}`));
        let total;
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (cl) total = end + 4 + Number(cl[1]);
        else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
          total = chunkedEnd(buf, end + 4);
          if (total < 0) return;
        } else total = end + 4;
        if (buf.length < total) return;
        buf = buf.subarray(total);
        done++;
        if (Date.now() >= stopAt || failure) { s.end(); return resolve(); }
        s.write(wire);
      }
    });
  }));
  const cpu0 = process.cpuUsage();
  t0 = process.hrtime.bigint();
  stopAt = Date.now() + seconds * 1000;
  for (const s of sockets) s.write(wire);
  await Promise.race([Promise.all(finished), new Promise((r) => setTimeout(r, seconds * 1000 + 10_000))]);
  elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  for (const s of sockets) s.destroy();
  if (failure) throw failure;
  return { rate: done / elapsed, clientCpu: (cpu.user + cpu.system) / 1e6 / elapsed, requests: done };
}
