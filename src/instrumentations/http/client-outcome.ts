// How an HTTP client span ends, shared by the node:http and the fetch/undici instrumentations: error.type, status, the duration metric.
import { SpanStatusCode, ValueType, type Histogram, type Meter, type Span } from '@opentelemetry/api';
import { DURATION_BUCKETS } from './internal-types';

/** error.type of a failure: the error's code (ECONNREFUSED), else its name, else `_OTHER`. */
export function errorType(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (typeof e?.code === 'string' && e.code !== '') return e.code;
  return typeof e?.name === 'string' && e.name !== '' ? e.name : '_OTHER';
}

/** ERROR status with the error's message, error.type, and an `exception` event (Error or string values). */
export function recordError(span: Span, err: unknown, type: string): void {
  if (!span.isRecording()) return;
  span.setAttribute('error.type', type);
  const message = (err as { message?: unknown } | null)?.message;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof message === 'string' ? message : undefined });
  if (err instanceof Error || typeof err === 'string') span.recordException(err);
}

/** error.type of a client response: the status code for 4xx and 5xx, else none. */
export function statusErrorType(status: number): string | undefined {
  return status >= 400 && status < 600 ? String(status) : undefined;
}

/** Whether a client response's status makes the span ERROR (400 and above, and below 100). */
export function isClientErrorStatus(status: number): boolean {
  return !(status >= 100 && status < 400);
}

/** The conventions' http.client.request.duration histogram (seconds, their bucket advice). */
export function clientDurationHistogram(meter: Meter): Histogram {
  return meter.createHistogram('http.client.request.duration', {
    description: 'Duration of HTTP client requests.',
    unit: 's',
    valueType: ValueType.DOUBLE,
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
}
