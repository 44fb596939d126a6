/**
 * `log.json-file`: Docker's default log driver — one JSON object per line in
 * `<logDirectory>/<container id>-json.log`, rotated by `max-size`/`max-file`, readable by
 * `docker logs`.
 */
import { definePlugin, drivers } from '@keel/sdk';
import { FileLogDriver } from '@keel/sdk/logging';
import { jsonFileFormat } from './json-file-format.js';

export const jsonFileLogPlugin = definePlugin({
  id: 'log.json-file',
  sdk: '^1.0.0',
  description: "Docker's json-file format, rotated, readable by docker logs",
  provides: drivers.log,
  init(_deps, { lifecycle }) {
    const driver = new FileLogDriver(jsonFileFormat);
    lifecycle.onStop(() => driver.close());
    return driver;
  },
});
