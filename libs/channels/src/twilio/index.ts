export * from './twilio.adapter.js';
export * from './twilio-errors.js';
export * from './twilio-webhook.js';
