export * from './whatsapp-cloud.adapter.js';
export * from './whatsapp-errors.js';
export * from './whatsapp-message.js';
export * from './whatsapp-template-api.js';
export * from './whatsapp-templates.js';
export * from './whatsapp-webhook.js';
