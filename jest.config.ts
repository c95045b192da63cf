import type { Config } from 'jest';

/**
 * One Jest run covers every suite. The Nest packages are ESM-only, so Jest runs
 * in its ESM mode (`--experimental-vm-modules`, see package.json) and @swc/jest
 * strips types and emits decorator metadata. Types are checked separately by `tsc`.
 */
const swcTransform: Config['transform'] = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true, tsx: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'es6' },
    },
  ],
};

/**
 * CommonJS packages that require an ESM-only dependency work in Node 20.19
 * (require(esm)) but not inside Jest's module system before Node 24.9; those
 * few dependencies are compiled to CommonJS for the tests.
 */
const ESM_ONLY_DEPENDENCIES = ['content-disposition'];

const common: Partial<Config> = {
  transform: {
    [`node_modules/(${ESM_ONLY_DEPENDENCIES.join('|')})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
    ...swcTransform,
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_DEPENDENCIES.join('|')})/)`],
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: {
    '^@phr/shared-types$': '<rootDir>/shared-types/src/index.ts',
    '^@phr/api-client$': '<rootDir>/api-client/src/index.ts',
    // The workspaces' exports maps (package.json), for the TypeScript sources Jest runs.
    '^@phr/backend/test-support/(.*)\\.js$': '<rootDir>/backend/test/support/$1',
    '^@phr/infra/local/(.*)\\.js$': '<rootDir>/infra/local/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  rootDir: '.',
};

/** The API suites whose requests reach the object store (uploads, reads, deletions, listings). */
const RGW_API_SUITES = ['records.spec.ts', 'folders.spec.ts', 'account-erasure.spec.ts', 'store-connections.spec.ts'];

const config: Config = {
  maxWorkers: 2,
  /**
   * A worker ends by letting its event loop run dry, and Jest kills it if it is still there
   * 500 ms later ("A worker process has failed to exit gracefully"). Ours hold no open handle
   * (measured: 'exit' fires in the same millisecond as Jest's end message), but by the end of a
   * run each has 1.0–1.5 GB of heap (every test file's ESM module graph), and tearing such a
   * process down took 240–340 ms on an idle machine and more than 500 ms on a busy one
   * (docs/testing.md). Wait for it instead.
   */
  workerGracefulExitTimeout: 5_000,
  reporters: ['default', '<rootDir>/infra/test/summary-reporter.cjs'],
  /**
   * A test's time limit catches a hang, never a slow machine: every wait inside a test is for a
   * condition. A browser test registers through the real KDF and RSA key generation, which took
   * 30+ s per test on two cores with a load average of 17 (a fresh clone's CI next to other work),
   * and a browser suite's beforeAll (two accounts, an approval, uploads and a share) over 120 s at 21.
   */
  testTimeout: 180_000,
  projects: [
    { ...common, displayName: 'crypto', testMatch: ['<rootDir>/frontend/src/**/*.spec.ts'] },
    { ...common, displayName: 'api-client', testMatch: ['<rootDir>/api-client/test/**/*.spec.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/infra/test/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/infra/test/rgw/'] },
    {
      ...common,
      displayName: 'api',
      testMatch: ['<rootDir>/backend/test/**/*.spec.ts'],
      globalSetup: '<rootDir>/backend/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/backend/test/support/global-teardown.mjs',
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/frontend/e2e/**/*.spec.ts'],
      // Node's, and a failed test prints what its browsers saw (frontend/e2e/support/diagnostics.ts).
      testEnvironment: '<rootDir>/frontend/e2e/support/environment.mjs',
      globalSetup: '<rootDir>/frontend/e2e/support/global-setup.mjs',
      globalTeardown: '<rootDir>/frontend/e2e/support/global-teardown.mjs',
    },
    /**
     * The suites that touch the object store, again, against Ceph's RADOS Gateway: the real S3
     * server of docker-compose.yml, from Debian's packages (infra/local/ceph/install-packages.sh),
     * one node on loopback for the whole run (docs/testing.md).
     */
    {
      ...common,
      displayName: 'rgw',
      testMatch: [...RGW_API_SUITES.map((file) => `<rootDir>/backend/test/${file}`), '<rootDir>/infra/test/rgw/**/*.spec.ts'],
      setupFiles: ['<rootDir>/infra/test/rgw/use-rgw.ts'],
      globalSetup: '<rootDir>/infra/test/rgw/global-setup.mjs',
      globalTeardown: '<rootDir>/infra/test/rgw/global-teardown.mjs',
    },
  ],
};

export default config;
