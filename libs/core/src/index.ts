export * from './duration.js';
export * from './statuses.js';
export * from './addresses.js';
export * from './render.js';
export * from './sms-segments.js';
export * from './token-bucket.js';
export * from './rate-card.js';
export * from './language.js';
