/**
 * `attach` and `logs`: output framed as Docker's multiplexed stream unless the container has a
 * TTY (the CLI decides the framing from `Config.Tty`, so it must match).
 */
import { ConflictError, queryBool, queryInt, queryString, queryTimestamp, InvalidArgumentError, type HttpRouter } from '@keel/sdk';
import { Readable } from 'node:stream';
import { clientSession, frame } from '../attach/client-session.js';
import type { ContainerService } from '../container-service.js';
import { containerPaths } from '../lifecycle/context.js';
import { readLog } from '../logs/cri-log.js';

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
        for await (const e of readLog(containerPaths(svc.ctx, c.Id).log, { stdout: want.stdout, stderr: want.stderr, follow: false })) {
          socket.write(tty ? e.text : frame(e.stream === 'stdout' ? 1 : 2, Buffer.from(e.text)));
        }
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
      const entries = readLog(containerPaths(svc.ctx, c.Id).log, {
        stdout, stderr, tail, follow: queryBool(req, 'follow'), since: queryTimestamp(req, 'since'), until: queryTimestamp(req, 'until') || undefined,
        alive: () => !!svc.store.find(c.Id)?.State.Running, signal: req.signal,
      });
      void queryInt;
      const body = Readable.from((async function* () {
        for await (const e of entries) {
          const text = `${timestamps ? `${e.time} ` : ''}${details ? `${labels} ` : ''}${e.text}`;
          yield tty ? Buffer.from(text) : frame(e.stream === 'stdout' ? 1 : 2, Buffer.from(text));
        }
      })());
      await reply.stream(body, contentType(tty));
    },
  });
}
