/**
 * `log.fluentd`: each line as a fluentd forward-protocol message to `fluentd-address`
 * (default 127.0.0.1:24224). Not readable back.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { FluentdLogDriver } from './fluentd-driver.js';

export const fluentdLogPlugin = definePlugin({
  id: 'log.fluentd',
  sdk: '^1.0.0',
  description: 'sends container output to fluentd (forward protocol)',
  provides: drivers.log,
  deps: { log: coreServices.logger },
  init: ({ log }) => new FluentdLogDriver((msg) => log.warn(msg)),
});
