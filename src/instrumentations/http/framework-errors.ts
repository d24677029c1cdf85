// Exceptions that web frameworks' instrumentations record on their own spans, copied to the request's server span.
import type { Context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, type RPCMetadata } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { recordOnServer } from './server-errors';

/**
 * Upstream instrumentations whose spans run inside a request and record the handler's exception on
 * themselves only (koa, hapi, nestjs, restify, connect; express and router with their middleware spans on).
 */
const FRAMEWORK_SCOPES = new Set(
  ['koa', 'hapi', 'nestjs-core', 'restify', 'connect', 'express', 'router'].map((id) => `@opentelemetry/instrumentation-${id}`),
);

/**
 * A span processor: a framework span started inside a request remembers the request's RPC metadata; when
 * it ends with an `exception` event, the event is added to the server span (same attributes and time), once
 * per distinct exception, and its message becomes the server span's status message if the response is a
 * 5xx. The server span is still open then: frameworks end their spans before the response is sent.
 */
export class FrameworkErrorProcessor implements SpanProcessor {
  private readonly requests = new WeakMap<object, RPCMetadata>();

  onStart(span: Span, parentContext: Context): void {
    if (!FRAMEWORK_SCOPES.has(span.instrumentationScope.name)) return;
    const metadata = getRPCMetadata(parentContext);
    if (metadata?.type === RPCType.HTTP && metadata.span.isRecording()) this.requests.set(span, metadata);
  }

  onEnd(span: ReadableSpan): void {
    const metadata = this.requests.get(span);
    if (metadata === undefined) return;
    this.requests.delete(span);
    for (const event of span.events) {
      if (event.name !== 'exception') continue;
      const attributes = event.attributes ?? {};
      const key = `${attributes['exception.type']}\n${attributes['exception.message']}\n${attributes['exception.stacktrace']}`;
      const message = attributes['exception.message'];
      recordOnServer(metadata, key, typeof message === 'string' ? message : undefined, () => metadata.span.addEvent('exception', attributes, event.time));
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
