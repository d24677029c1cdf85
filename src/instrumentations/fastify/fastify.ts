// Subscribes to fastify's request-handler tracing channel (fastify 5): names the route, records a handler's error.
import * as diagnostics from 'node:diagnostics_channel';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, type RPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { kServer } from '../http/internal-types';
import { recordOnServer } from '../http/server-errors';
import { HANDLER_CHANNEL, type HandlerStore } from './internal-types';
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

/** A handler that threw or rejected: the exception on the server span (status at its end, by the response). */
function onError(message: unknown): void {
  try {
    const store = message as HandlerStore;
    const err = store.error;
    const metadata = metadataOf(store);
    if (metadata === undefined || err === undefined || err === null) return;
    const span = metadata.span;
    recordOnServer(metadata, err, err instanceof Error ? err.message : String(err), () => span.recordException(err instanceof Error ? err : String(err)));
  } catch {
    // Best effort: fastify answers the request either way.
  }
}

/**
 * No patching and no span of its own: fastify publishes each route handler on a tracing channel, which
 * carries the route as registered and the handler's error. Subscribing makes fastify build one small
 * object per handled request. Versions without the channel publish nothing, and get nothing.
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
  }

  /** The message on which the agent's loader created this instrumentation (fastify loaded by path or bundled). */
  deliverChannelMessage(channel: string, message: unknown): void {
    if (channel === `${HANDLER_CHANNEL}:start`) onStart(message);
  }

  override disable(): void {
    if (!subscribed) return;
    subscribed = false;
    diagnostics.unsubscribe(`${HANDLER_CHANNEL}:start`, onStart);
    diagnostics.unsubscribe(`${HANDLER_CHANNEL}:error`, onError);
  }
}

// Module state: the base constructor calls enable() before the subclass's fields exist.
let subscribed = false;
