export * from './route-client.js';
