/**
 * `log.gelf`: each line as a GELF 1.1 message to `gelf-address` (udp:// compressed and chunked,
 * or tcp://), with Docker's fields. Not readable back.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { GelfLogDriver } from './gelf-driver.js';

export const gelfLogPlugin = definePlugin({
  id: 'log.gelf',
  sdk: '^1.0.0',
  description: 'sends container output to a GELF endpoint (Graylog, Logstash)',
  provides: drivers.log,
  deps: { log: coreServices.logger },
  init: ({ log }) => new GelfLogDriver((msg) => log.warn(msg)),
});
