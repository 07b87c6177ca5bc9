// The browser test (`npm run test:browser`): Herald in-process on its own database, its /dashboard page driven
// in Debian's headless Chromium through playwright-core. Same ESM setup as the main jest.config.js.
/** @type {import('jest').Config} */
export default {
  rootDir: '../..',
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.mjs'],
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^libphonenumber-js$': '<rootDir>/node_modules/libphonenumber-js/index.cjs',
    '^#libs/(.*)\\.js$': '<rootDir>/libs/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};
