export * from './dsn.js';
export * from './smtp-status.js';
export * from './smtp.adapter.js';
