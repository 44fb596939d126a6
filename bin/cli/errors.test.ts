import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { connectError, ConnectError, DaemonError, exitCode, renderError, ReportedError } from './errors.js';
import { outputFormat } from './output-format.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('error rendering', () => {
  it('shows daemon errors the way docker does', () => {
    expect(renderError(new DaemonError(404, 'No such image: x'))).toBe('Error response from daemon: No such image: x\n');
  });

  it('says what to do when the daemon is not running', () => {
    const e = connectError(errno('ECONNREFUSED'), 'unix:///run/keel/keel.sock');
    expect(e).toBeInstanceOf(ConnectError);
    expect(renderError(e)).toBe(
      'Cannot connect to the keel daemon at unix:///run/keel/keel.sock. Is keeld running?\n'
      + 'Start it with: sudo scripts/setup.sh  (or: sudo keeld)\n'
      + 'Or point keel at a running daemon with -H, KEEL_HOST or DOCKER_HOST.\n');
    expect(connectError(errno('ENOENT'), 'unix:///x.sock').message).toMatch(/Is keeld running\?/);
  });

  it('says how to get permission on the socket', () => {
    const text = renderError(connectError(errno('EACCES'), 'unix:///run/keel/keel.sock'))!;
    expect(text).toMatch(/^Cannot connect to the keel daemon at unix:\/\/\/run\/keel\/keel\.sock\. Permission denied/);
    expect(text).toContain('Run keel as root');
    expect(text).toContain('join the group that owns the socket (see: ls -l /run/keel/keel.sock)');
    expect(text).not.toContain('Is keeld running');
  });

  it('prints other errors as one line, without a stack', () => {
    expect(renderError(new Error('invalid host "x"'))).toBe('Error: invalid host "x"\n');
    expect(renderError('plain')).toBe('Error: plain\n');
  });

  it('stays quiet for errors already reported, and keeps commander\'s exit codes', () => {
    expect(renderError(new ReportedError('2 failed'))).toBeUndefined();
    const help = new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)');
    expect(renderError(help)).toBeUndefined();
    expect(exitCode(help)).toBe(0);
    expect(exitCode(new DaemonError(500, 'x'))).toBe(1);
  });

  it('accepts json and {{json .}} as --format, refuses other templates', () => {
    expect(outputFormat(undefined)).toBe('text');
    expect(outputFormat('json')).toBe('json');
    expect(outputFormat('{{ json . }}')).toBe('json');
    expect(() => outputFormat('{{.ID}}')).toThrow('unsupported --format "{{.ID}}"');
  });
});
