// @org/otel-agent's instrumentation of node:http and node:https, and the lean express route hook (see README.md here).
export { HttpInstrumentation } from './http';
export { ExpressRouteInstrumentation } from './express-route';
export type { ExpressRouteConfig, HttpInstrumentationConfig } from './types';
