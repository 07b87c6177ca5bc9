export * from './channel.port.js';
export * from './sandbox/sandbox-behaviour.js';
export * from './sandbox/sandbox.provider.js';
