export * from './where.js';
export * from './definition.js';
export * from './quiet-hours.js';
export * from './guards.js';
