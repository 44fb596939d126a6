/** `docker exec`: create, start (detached or hijacked), inspect, resize. */
import type { HttpRouter } from '@keel/sdk';
import type { ContainerService } from '../container-service.js';
import type { ExecConfig } from '../exec/exec-service.js';
import { terminalSize } from './container-routes.js';

/** Registers the exec routes. */
export function registerExecRoutes(router: HttpRouter, svc: ContainerService): void {
  router.route({
    method: 'POST', path: '/containers/:id/exec',
    handler: (req, reply) => reply.status(201).json({ Id: svc.exec.create(req.params.id!, req.body as ExecConfig) }),
  });
  router.route({
    method: 'POST', path: '/exec/:id/start',
    handler: async (req, reply) => {
      const body = (req.body ?? {}) as { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null };
      const session = svc.exec.get(req.params.id!);
      if (body.Detach) {
        await svc.exec.start(session.id, { detach: true, consoleSize: body.ConsoleSize });
        reply.status(200).json({});
        return;
      }
      // Fail before hijacking when the session cannot start at all (already run, container stopped).
      if (session.started) await svc.exec.start(session.id, { detach: false });
      svc.store.get(session.containerId);
      const tty = !!session.config.Tty;
      const socket = reply.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
      await svc.exec.start(session.id, { detach: false, consoleSize: body.ConsoleSize }, socket).catch((err: Error) => {
        socket.end(`${err.message}\r\n`);
      });
    },
  });
  router.route({ method: 'GET', path: '/exec/:id/json', handler: (req) => svc.exec.inspect(req.params.id!) });
  router.route({
    method: 'POST', path: '/exec/:id/resize',
    handler: async (req, reply) => {
      const { h, w } = terminalSize(req);
      await svc.exec.resize(req.params.id!, h, w);
      reply.status(200).empty();
    },
  });
}
