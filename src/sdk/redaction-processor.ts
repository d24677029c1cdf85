// A span processor that redacts secrets in exception messages, stack traces and status messages before any exporter sees the span.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { redactText } from '../redaction/text';

const EXCEPTION_KEYS = ['exception.message', 'exception.stacktrace'] as const;

/**
 * An error's message and stack are written by whoever threw it, and often hold what the program was
 * connecting to: `connect ECONNREFUSED postgres://app:PW@db`, a `?token=` URL. In `onEnding`, while
 * the span can still change and before any processor's `onEnd` (the exporters', the framework-error
 * copy to the server span), every `exception` event's `exception.message` and `exception.stacktrace`,
 * and the status message, go through {@link redactText}. First in the list of processors.
 */
export class RedactionProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    for (const event of span.events) {
      if (event.name !== 'exception' || event.attributes === undefined) continue;
      const attributes = event.attributes as Record<string, unknown>;
      for (const key of EXCEPTION_KEYS) {
        const value = attributes[key];
        if (typeof value === 'string') attributes[key] = redactText(value);
      }
    }
    const message = span.status.message;
    if (typeof message === 'string' && message !== '') {
      const redacted = redactText(message);
      // The status is a plain field of the SDK's span; setStatus would refuse after an OK.
      if (redacted !== message) (span as unknown as { status: ReadableSpan['status'] }).status = { ...span.status, message: redacted };
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
