export * from './cascade-planner.js';
