import { describe, expect, it } from 'vitest';
import { applyChanges, emptyRunConfig } from './change-instructions.js';

describe('--change instructions', () => {
  it('applies each instruction in JSON or shell form', () => {
    const c = applyChanges(emptyRunConfig(), [
      'CMD ["nginx", "-g", "daemon off;"]', 'entrypoint /entry.sh --flag', 'ENV PATH=/bin HOME="/root dir"', 'ENV LEGACY value with spaces',
      'ENV PATH=/usr/bin', 'EXPOSE 80 443/TCP 53/udp 8000-8010', 'LABEL a=1 "b"=2 c="x y"', 'USER 1000:1000', 'WORKDIR /app', 'WORKDIR sub',
      'VOLUME ["/data", "/logs"]', 'VOLUME /cache /tmp/x', 'STOPSIGNAL SIGQUIT', 'ONBUILD RUN make',
    ]);
    expect(c).toMatchObject({
      Cmd: ['nginx', '-g', 'daemon off;'], Entrypoint: ['/bin/sh', '-c', '/entry.sh --flag'],
      Env: ['HOME=/root dir', 'LEGACY=value with spaces', 'PATH=/usr/bin'],
      ExposedPorts: { '80/tcp': {}, '443/tcp': {}, '53/udp': {}, '8000-8010/tcp': {} }, Labels: { a: '1', b: '2', c: 'x y' },
      User: '1000:1000', WorkingDir: '/app/sub', Volumes: { '/data': {}, '/logs': {}, '/cache': {}, '/tmp/x': {} },
      StopSignal: 'SIGQUIT', OnBuild: ['RUN make'],
    });
    expect(Object.keys(emptyRunConfig()).slice(0, 3)).toEqual(['Hostname', 'Domainname', 'User']);
  });

  it('leaves its input alone and ignores blank lines', () => {
    const base = emptyRunConfig();
    expect(applyChanges(base, ['', '  '])).toEqual(base);
    applyChanges(base, ['ENV A=1']);
    expect(base.Env).toBeNull();
  });

  it.each([
    ['RUN make', 'RUN is not a valid change command'],
    ['FROM scratch', 'FROM is not a valid change command'],
    ['ENV', 'ENV requires at least one argument'],
    ['ENV JUSTKEY', 'ENV requires at least two arguments'],
    ['EXPOSE http', 'invalid containerPort: http'],
    ['ONBUILD FROM x', "FROM isn't allowed as an ONBUILD trigger"],
  ])('refuses %j', (line, message) => {
    expect(() => applyChanges(emptyRunConfig(), [line])).toThrow(message);
  });
});
