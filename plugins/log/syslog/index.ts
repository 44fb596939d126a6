/**
 * `log.syslog`: each line as a syslog message to `syslog-address` (unix://, unixgram://, udp://,
 * tcp://, tcp+tls://; default the local /dev/log), in Docker's formats. Not readable back.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { SyslogLogDriver } from './syslog-driver.js';

export const syslogLogPlugin = definePlugin({
  id: 'log.syslog',
  sdk: '^1.0.0',
  description: 'sends container output to a syslog server',
  provides: drivers.log,
  deps: { log: coreServices.logger },
  init: ({ log }) => new SyslogLogDriver((msg) => log.warn(msg)),
});
