export * from './rbm-auth.js';
export * from './rbm-errors.js';
export * from './rbm-message-id.js';
export * from './rbm-webhook.js';
export * from './rbm.adapter.js';
