// The propagators OTEL_PROPAGATORS names, and the fields each reads (known without loading them).
import type { TextMapPropagator } from '@opentelemetry/api';
import type { PropagatorName } from '../config';

const B3_FIELDS = ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags', 'x-b3-parentspanid'];

/**
 * Every field each propagator reads when extracting (B3 reads both encodings whichever it writes).
 * Lets a process see whether it inherited a context before it loads any propagator; a unit test keeps
 * it in step with the propagators' own `fields()`.
 */
export const EXTRACT_FIELDS: Readonly<Record<PropagatorName, readonly string[]>> = {
  tracecontext: ['traceparent', 'tracestate'],
  baggage: ['baggage'],
  b3: B3_FIELDS,
  b3multi: B3_FIELDS,
};

/** The composite propagator of `names` (@opentelemetry/core is loaded here, not with this module). */
export function createPropagator(names: readonly PropagatorName[]): TextMapPropagator {
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const propagators: TextMapPropagator[] = names.map((name) => {
    switch (name) {
      case 'tracecontext':
        return new W3CTraceContextPropagator();
      case 'baggage':
        return new W3CBaggagePropagator();
      case 'b3':
      case 'b3multi': {
        const { B3Propagator, B3InjectEncoding } = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
        return new B3Propagator({ injectEncoding: name === 'b3' ? B3InjectEncoding.SINGLE_HEADER : B3InjectEncoding.MULTI_HEADER });
      }
    }
  });
  return new CompositePropagator({ propagators });
}
