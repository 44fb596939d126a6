import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const sdkSrc = fileURLToPath(new URL('./sdk/src/', import.meta.url));

// Tests import @keel/sdk from source so a unit run needs no build; e2e tests run the compiled
// daemon and CLI from dist/ (npm test builds first).
const alias = [
  { find: /^@keel\/sdk\/testkit$/, replacement: `${sdkSrc}testkit/index.ts` },
  { find: /^@keel\/sdk\/tar$/, replacement: `${sdkSrc}tar/index.ts` },
  { find: /^@keel\/sdk\/layers$/, replacement: `${sdkSrc}layers/index.ts` },
  { find: /^@keel\/sdk\/oci-cli$/, replacement: `${sdkSrc}oci-cli/index.ts` },
  { find: /^@keel\/sdk\/netutil$/, replacement: `${sdkSrc}netutil/index.ts` },
  { find: /^@keel\/sdk\/logging$/, replacement: `${sdkSrc}logging/index.ts` },
  { find: /^@keel\/sdk$/, replacement: `${sdkSrc}index.ts` },
];

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['sdk/src/**/*.test.ts', 'core/**/*.test.ts', 'plugins/**/*.test.ts', 'bin/**/*.test.ts', 'test/*.test.ts', 'test/conformance/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          // e2e files share host resources (iptables lock, cgroups, bridges): one file at a time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
