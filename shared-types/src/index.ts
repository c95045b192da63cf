export * from './common.js';
export * from './protocol.js';
export * from './auth.js';
export * from './health.js';
export * from './audit.js';
export * from './records.js';
export * from './consents.js';
export * from './routes.js';
