export * from './viber.adapter.js';
export * from './viber-webhook.js';
export { classifyViberFailure, classifyViberStatus } from './viber-status.js';
