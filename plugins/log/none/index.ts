/**
 * `log.none`: discards every entry. It cannot be read back, so `docker logs` answers Docker's
 * `configured logging driver does not support reading`. Like Docker it ignores every option.
 */
import { definePlugin, drivers, type LogDriver, type LogSink } from '@keel/sdk';

const DONE = Promise.resolve();
const discard: LogSink = { write: () => DONE, close: () => DONE };

/** The none driver: validates, then drops everything. */
export const noneLogDriver: LogDriver = {
  capabilities: { read: false },
  // Docker skips option validation for `none` altogether: any --log-opt is accepted and unused.
  validateOptions: () => undefined,
  open: async () => discard,
};

export const noneLogPlugin = definePlugin({
  id: 'log.none',
  sdk: '^1.0.0',
  description: 'discards container output',
  provides: drivers.log,
  init: () => noneLogDriver,
});
