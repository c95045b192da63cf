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

const common: Partial<Config> = {
  transform: swcTransform,
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: {
    '^@phr/shared-types$': '<rootDir>/shared-types/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  rootDir: '.',
};

const config: Config = {
  maxWorkers: 2,
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'crypto', testMatch: ['<rootDir>/frontend/src/**/*.spec.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/infra/test/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'api',
      testMatch: ['<rootDir>/backend/test/**/*.spec.ts'],
      globalSetup: '<rootDir>/backend/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/backend/test/support/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/frontend/e2e/**/*.spec.ts'],
      globalSetup: '<rootDir>/frontend/e2e/support/global-setup.ts',
      globalTeardown: '<rootDir>/frontend/e2e/support/global-teardown.ts',
    },
  ],
};

export default config;
