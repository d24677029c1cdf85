// fastify: the route and a handler's error on the request's server span, from fastify's own tracing channel.
export { FastifyInstrumentation } from './fastify';
export type { FastifyInstrumentationConfig } from './types';
