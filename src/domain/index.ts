export * from './hex.js';
export * from './version.js';
export * from './devices.js';
export * from './stack-types.js';
export * from './fus.js';
