// The browser test (`npm run test:browser`): Herald in-process on its own database, its /dashboard page driven
// in Debian's headless Chromium through playwright-core. Same ESM setup as the main jest.config.js.
import { common } from '../../jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...common,
  rootDir: '../..',
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.mjs'],
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};
