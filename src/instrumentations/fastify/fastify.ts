// Subscribes to fastify's channels (fastify 5): names the route, records a handler's, a hook's or a reply.send(err) error.
import * as diagnostics from 'node:diagnostics_channel';
import { context, diag } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, type RPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { kServer } from '../http/internal-types';
import { recordOnServer } from '../http/server-errors';
import { HANDLER_CHANNEL, INIT_CHANNEL, type FastifyLike, type HandlerStore, type InitMessage } from './internal-types';
import type { FastifyInstrumentationConfig } from './types';

const VERSION = '0.1.0';

/** The request's server span metadata: the agent's (on the response), else upstream's (in the context). */
function metadataOf(store: HandlerStore): RPCMetadata | undefined {
  const metadata = store.reply?.raw?.[kServer]?.rpcMetadata ?? getRPCMetadata(context.active());
  return metadata?.type === RPCType.HTTP ? metadata : undefined;
}

function onStart(message: unknown): void {
  try {
    const store = message as HandlerStore;
    const route = store.route?.url;
    const metadata = metadataOf(store);
    if (metadata !== undefined && typeof route === 'string') metadata.route = route;
  } catch {
    // Naming the route is best effort.
  }
}

/** The exception on the request's server span, once per error object (status at its end, by the response). */
function record(store: HandlerStore, err: unknown): void {
  try {
    const metadata = metadataOf(store);
    if (metadata === undefined || err === undefined || err === null) return;
    const span = metadata.span;
    recordOnServer(metadata, err, err instanceof Error ? err.message : String(err), () => span.recordException(err instanceof Error ? err : String(err)));
  } catch {
    // Best effort: fastify answers the request either way.
  }
}

/** A handler that threw or rejected (or a preHandler hook's error): published on the tracing channel. */
function onError(message: unknown): void {
  record(message as HandlerStore, (message as HandlerStore | undefined)?.error);
}

/**
 * fastify's onError hook (named so that a route listing with hooks shows whose it is): called for every error fastify answers (before the error handler), so also
 * for `reply.send(err)` and errors in hooks, which the tracing channel does not carry. A thrown
 * handler error reaches both; recordOnServer keeps one (the same object). Never sends, always continues.
 */
function otelAgentOnError(request: unknown, reply: HandlerStore['reply'], err: unknown, done: () => void): void {
  if (subscribed) record({ reply }, err);
  done();
}

let hookFailureLogged = false;
/** Instances given the hook: one hook each, even if the message reaches the instrumentation twice. */
const hooked = new WeakSet<object>();

/** A new fastify instance (the root, at its creation): the onError hook, inherited by every plugin's context. */
function onInit(message: unknown): void {
  try {
    const instance = (message as InitMessage | undefined)?.fastify as FastifyLike | undefined;
    if (typeof instance?.addHook !== 'function' || hooked.has(instance)) return;
    instance.addHook('onError', otelAgentOnError);
    hooked.add(instance);
  } catch (err) {
    // An instance that already started (addHook throws): errors then reach the channel only.
    if (hookFailureLogged) return;
    hookFailureLogged = true;
    diag.debug(`fastify: onError hook not added: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * No patching and no span of its own: fastify publishes each route handler on a tracing channel, which
 * carries the route as registered and the handler's error. Subscribing makes fastify build one small
 * object per handled request. Each new instance is published on `fastify.initialization`: the agent adds
 * an onError hook to it, for the errors the channel does not carry. Versions without the channels
 * publish nothing, and get nothing.
 */
export class FastifyInstrumentation extends InstrumentationBase<FastifyInstrumentationConfig> {
  constructor(config: FastifyInstrumentationConfig = {}) {
    super('@org/otel-agent/instrumentation-fastify', VERSION, config);
  }

  protected init() {
    return [];
  }

  override enable(): void {
    if (subscribed) return;
    subscribed = true;
    diagnostics.subscribe(`${HANDLER_CHANNEL}:start`, onStart);
    diagnostics.subscribe(`${HANDLER_CHANNEL}:error`, onError);
    diagnostics.subscribe(INIT_CHANNEL, onInit);
  }

  /** The message on which the agent's loader created this instrumentation (fastify loaded by path or bundled). */
  deliverChannelMessage(channel: string, message: unknown): void {
    if (channel === `${HANDLER_CHANNEL}:start`) onStart(message);
    else if (channel === INIT_CHANNEL) onInit(message);
  }

  override disable(): void {
    if (!subscribed) return;
    subscribed = false;
    diagnostics.unsubscribe(`${HANDLER_CHANNEL}:start`, onStart);
    diagnostics.unsubscribe(`${HANDLER_CHANNEL}:error`, onError);
    diagnostics.unsubscribe(INIT_CHANNEL, onInit);
  }
}

// Module state: the base constructor calls enable() before the subclass's fields exist.
let subscribed = false;
