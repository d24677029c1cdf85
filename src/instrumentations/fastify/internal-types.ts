// What fastify publishes on its request-handler tracing channel and initialization channel (the fields the agent reads).
import type { WithState } from '../http/internal-types';

/** fastify's channel: start/end around each route handler, error when it throws or its promise rejects. */
export const HANDLER_CHANNEL = 'tracing:fastify.request.handler';

export interface HandlerStore {
  /** reply.raw is the node:http ServerResponse, where the agent keeps the server span's state. */
  reply?: { raw?: WithState };
  /** The route as registered, prefixes included (`/users/:id`). */
  route?: { url?: unknown; method?: unknown };
  error?: unknown;
}

/** fastify's channel: each new instance, as `{ fastify }`, once at its creation. */
export const INIT_CHANNEL = 'fastify.initialization';

export interface InitMessage {
  fastify?: unknown;
}

/** The part of a fastify instance the agent uses. */
export interface FastifyLike {
  addHook(name: 'onError', hook: (request: unknown, reply: HandlerStore['reply'], error: unknown, done: () => void) => void): unknown;
}
