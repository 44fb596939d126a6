/**
 * `attach` and `logs`: output framed as Docker's multiplexed stream unless the container has a
 * TTY (the CLI decides the framing from `Config.Tty`, so it must match).
 */
import { ConflictError, queryBool, queryString, queryTimestamp, InvalidArgumentError, type HttpRouter } from '@keel/sdk';
import { Readable } from 'node:stream';
import { clientSession } from '../attach/client-session.js';
import type { ContainerService } from '../container-service.js';
import { containerPaths } from '../lifecycle/context.js';
import { FrameBatch } from './frame-batch.js';

/** Unix nanoseconds as Docker's RFC 3339 timestamp with nanoseconds. */
export function rfc3339Nano(timeNano: string): string {
  const ns = BigInt(timeNano);
  const seconds = ns / 1_000_000_000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

const contentType = (tty: boolean) => (tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');

/** Registers attach and logs. */
export function registerStreamRoutes(router: HttpRouter, svc: ContainerService): void {
  router.route({
    method: 'POST', path: '/containers/:id/attach',
    handler: async (req, reply) => {
      const c = svc.store.get(req.params.id!);
      if (c.State.Paused) throw new ConflictError(`You cannot attach to a paused container, unpause it first`);
      if (c.State.Restarting) throw new ConflictError(`You cannot attach to a restarting container, wait until it is running`);
      const tty = !!c.Config.Tty;
      const want = { stdin: queryBool(req, 'stdin') && !!c.Config.OpenStdin, stdout: queryBool(req, 'stdout'), stderr: queryBool(req, 'stderr') };
      const stream = queryBool(req, 'stream');
      const socket = reply.hijack(contentType(tty));
      if (queryBool(req, 'logs')) {
        const batch = new FrameBatch(tty);
        for await (const e of svc.ctx.logs.read(c, containerPaths(svc.ctx, c.Id).data, {})) {
          if (e.stream === 'stdout' ? !want.stdout : !want.stderr) continue;
          batch.add(e.stream === 'stdout' ? 1 : 2, '', e.line, !e.partial);
          if (batch.size >= 64 * 1024) socket.write(batch.take());
        }
        if (batch.size) socket.write(batch.take());
      }
      if (!stream) {
        socket.end();
        return;
      }
      let cancel = () => undefined as void;
      const session = clientSession(socket, { tty, ...want, closeStdinOnEnd: !!c.Config.StdinOnce, onDone: () => cancel() });
      svc.publish(c, 'attach');
      const current = svc.store.get(c.Id);
      if (current.State.Running) await svc.attach.connect(containerPaths(svc.ctx, c.Id).bundle, session).catch(() => session.onEnd());
      else cancel = svc.attach.queue(c.Id, session);
    },
  });

  router.route({
    method: 'GET', path: '/containers/:id/logs',
    handler: async (req, reply) => {
      const c = svc.store.get(req.params.id!);
      const stdout = queryBool(req, 'stdout');
      const stderr = queryBool(req, 'stderr');
      if (!stdout && !stderr) throw new InvalidArgumentError('You must choose at least one stream');
      const tailRaw = queryString(req, 'tail');
      const tail = !tailRaw || tailRaw === 'all' ? undefined : /^\d+$/.test(tailRaw) ? Number(tailRaw) : undefined;
      if (tailRaw && tailRaw !== 'all' && tail === undefined) throw new InvalidArgumentError(`invalid value for "tail": "${tailRaw}"`);
      const timestamps = queryBool(req, 'timestamps');
      const details = queryBool(req, 'details');
      const tty = !!c.Config.Tty;
      const labels = details ? Object.entries(c.Config.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') : '';
      const entries = svc.ctx.logs.read(c, containerPaths(svc.ctx, c.Id).data, {
        tail, follow: queryBool(req, 'follow'), since: queryTimestamp(req, 'since'), until: queryTimestamp(req, 'until') || undefined, signal: req.signal,
      });
      const follow = queryBool(req, 'follow');
      const body = Readable.from((async function* () {
        // Entries go out in batches of about 64 KiB (one socket write each) unless following,
        // where each must go out as soon as it is there.
        const batch = new FrameBatch(tty);
        for await (const e of entries) {
          if (e.stream === 'stdout' ? !stdout : !stderr) continue;
          const prefix = timestamps || details ? `${timestamps ? `${rfc3339Nano(e.timeNano)} ` : ''}${details ? `${labels} ` : ''}` : '';
          batch.add(e.stream === 'stdout' ? 1 : 2, prefix, e.line, !e.partial);
          if (follow || batch.size >= 64 * 1024) yield batch.take();
        }
        if (batch.size) yield batch.take();
      })());
      await reply.stream(body, contentType(tty));
    },
  });
}
